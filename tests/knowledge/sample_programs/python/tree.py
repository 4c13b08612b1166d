def depth(node):
    return 1 + depth(node.get("parent", node))

print(depth({"id": 1}))
