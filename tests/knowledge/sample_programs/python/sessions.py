sessions = {"a": 1, "b": 0, "c": 0}

def expire_idle(sessions):
    for key, idle in sessions.items():
        if idle == 0:
            del sessions[key]

expire_idle(sessions)
