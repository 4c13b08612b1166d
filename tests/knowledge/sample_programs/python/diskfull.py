def write_export(path, rows):
    with open(path, "w") as out:
        for row in rows:
            out.write(row)

write_export("/dev/full", ["id,total\n"] * 10000)
