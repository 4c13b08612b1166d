package com.shop;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;

public class OrderRepository {
    public static void main(String[] args) throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:h2:mem:shop");
        config.setMaximumPoolSize(2);
        config.setConnectionTimeout(1000);
        HikariDataSource dataSource = new HikariDataSource(config);
        Connection first = dataSource.getConnection();   // held by a slow request
        Connection second = dataSource.getConnection();  // held by another
        try (Connection third = dataSource.getConnection()) {
            third.createStatement().execute("select 1");
        }
    }
}
