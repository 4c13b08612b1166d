package com.shop.pricing;

public class TaxTable {
    public static long rateFor(String region) { return 20; }
}
