import resource

resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
handles = []
def open_report(n):
    return open(f"/tmp/kb/app/report-{n}.log", "a")
for n in range(100):
    handles.append(open_report(n))
