def first_line(lines):
    return lines[0]

print(first_line([l for l in "".splitlines() if l]))
