def shipping_cost(order):
    return order["shipping"]["cost"]

print(shipping_cost({"id": 7, "items": [1, 2]}))
