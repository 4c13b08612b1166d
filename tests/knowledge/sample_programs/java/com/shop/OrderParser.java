package com.shop;

import com.fasterxml.jackson.databind.ObjectMapper;

public class OrderParser {
    public static class Order {
        public long id;
        public long quantity;
    }

    static Order parse(String json) throws Exception {
        return new ObjectMapper().readValue(json, Order.class);
    }

    public static void main(String[] args) throws Exception {
        parse("{\"id\": 7, \"quantity\": [2]}");
    }
}
