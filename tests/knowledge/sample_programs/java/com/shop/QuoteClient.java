package com.shop;

import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;

public class QuoteClient {
    static byte[] fetchQuote(String sku) throws Exception {
        HttpURLConnection conn = (HttpURLConnection) new URL("http://127.0.0.1:18081/quotes/" + sku).openConnection();
        conn.setConnectTimeout(2000);
        conn.setReadTimeout(2000);
        try (InputStream in = conn.getInputStream()) {
            return in.readAllBytes();
        }
    }

    public static void main(String[] args) throws Exception {
        fetchQuote("A-100");
    }
}
