"""checkout: a FastAPI service that asks inventory for stock before it takes an order."""

import logging
import os

import httpx
from fastapi import FastAPI, Request

from faultlens import instrument

instrument.configure_logging(service="checkout", environment="staging", version="1.4.0")
log = logging.getLogger("checkout.orders")

inventory = httpx.AsyncClient(base_url=os.environ.get("INVENTORY_URL", "http://127.0.0.1:5001"))
instrument.instrument_httpx(inventory)

api = FastAPI()


@api.post("/orders/{sku}")
async def create_order(sku: str, request: Request) -> dict[str, object]:
    instrument.bind_user(request.headers.get("x-user-id", "anonymous"))
    log.info("reserving stock", extra={"sku": sku})
    response = await inventory.get(f"/stock/{sku}")
    response.raise_for_status()
    available = response.json()["available"]
    log.info("order accepted", extra={"sku": sku, "available": available})
    return {"sku": sku, "reserved": available > 0}


app = instrument.ASGIMiddleware(api)
