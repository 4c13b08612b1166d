import time
from concurrent import futures
import grpc

def slow(request, context):
    time.sleep(5)
    return b""

handler = grpc.method_handlers_generic_handler("pricing.v1.Pricing", {
    "GetQuote": grpc.unary_unary_rpc_method_handler(slow)})
server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
server.add_generic_rpc_handlers((handler,))
server.add_insecure_port("127.0.0.1:50551")
server.start()
server.wait_for_termination()
