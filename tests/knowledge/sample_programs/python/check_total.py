def settle(invoice):
    assert invoice["total"] == sum(invoice["lines"]), "invoice total does not match its lines"

settle({"total": 100, "lines": [40, 50]})
