"""Reading inputs: sources, format sniffing, decoders and the multi-line assembler."""
