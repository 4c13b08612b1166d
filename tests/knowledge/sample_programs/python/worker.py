import pickle

def load_job(path):
    with open(path, "rb") as blob:
        return pickle.load(blob)

load_job("/tmp/kb/app/job.pkl")
