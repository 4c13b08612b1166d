def find_customer(customers, customer_id):
    return customers.get(customer_id)

def invoice_header(customers, order):
    customer = find_customer(customers, order["customer_id"])
    return f"Invoice for {customer.name}"

print(invoice_header({}, {"id": 7, "customer_id": 42}))
