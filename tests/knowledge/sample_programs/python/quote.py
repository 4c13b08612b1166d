import grpc

channel = grpc.insecure_channel("127.0.0.1:50551")
get_quote = channel.unary_unary("/pricing.v1.Pricing/GetQuote")

def quote(sku):
    return get_quote(sku.encode(), timeout=1.0)

quote("A-100")
