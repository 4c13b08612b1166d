package com.shop;

import com.shop.pricing.TaxTable;

public class Checkout {
    static long tax(long amount) {
        return amount * TaxTable.rateFor("EU") / 100;
    }

    public static void main(String[] args) {
        System.out.println(tax(1999));
    }
}
