def read_export(data: bytes) -> str:
    return data.decode("utf-8")

read_export(b"id;name\n1;Caf\xe9 Noir\n")
