package com.shop.pricing;

public class TaxTable {
    public static long rateFor(String region, String category) { return 20; }
}
