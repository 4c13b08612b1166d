def average_order_value(total, orders):
    return total / orders

print(average_order_value(1200, 0))
