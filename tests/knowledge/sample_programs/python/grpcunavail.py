import grpc

channel = grpc.insecure_channel("127.0.0.1:9")
get_quote = channel.unary_unary("/pricing.v1.Pricing/GetQuote")
get_quote(b"", timeout=5)
