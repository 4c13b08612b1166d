package com.shop;

import java.time.LocalDate;

public class ShipmentDates {
    static LocalDate shippedOn(String value) {
        return LocalDate.parse(value);
    }

    public static void main(String[] args) {
        shippedOn("01/12/2026");
    }
}
