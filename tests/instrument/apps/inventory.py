"""inventory: a Flask service that answers how many of a SKU are in stock."""

import logging

from flask import Flask

from faultlens import instrument

instrument.configure_logging(service="inventory", environment="staging", version="2.0.3")
log = logging.getLogger("inventory.stock")

app = Flask(__name__)
app.wsgi_app = instrument.WSGIMiddleware(app.wsgi_app)

STOCK = {"sku-1": 12, "sku-2": 0}


@app.get("/stock/<sku>")
def stock(sku: str) -> dict[str, object]:
    log.info("stock lookup", extra={"sku": sku})
    return {"sku": sku, "available": STOCK[sku]}
