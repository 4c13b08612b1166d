package com.shop;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

public class Plugins {
    public interface Handler { void handle(); }

    static final List<Object> LOADED = new ArrayList<>();

    static Object loadPlugin(int n) throws Exception {
        ClassLoader loader = new java.net.URLClassLoader(new java.net.URL[0], Plugins.class.getClassLoader());
        return Proxy.newProxyInstance(loader, new Class<?>[] {Handler.class}, (p, m, a) -> null);
    }

    public static void main(String[] args) throws Exception {
        for (int n = 0; n < 1_000_000; n++) {
            LOADED.add(loadPlugin(n));
        }
    }
}
