package com.shop;

import java.util.ArrayList;
import java.util.List;

public class ReportCache {
    private static final List<long[]> ROWS = new ArrayList<>();

    static void warm(int pages) {
        for (int i = 0; i < pages; i++) {
            ROWS.add(new long[1 << 20]);
        }
    }

    public static void main(String[] args) {
        warm(10_000);
    }
}
