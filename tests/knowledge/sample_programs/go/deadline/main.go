package main

import (
	"context"
	"log"
	"net/http"
	"time"
)

func fetchStock(ctx context.Context, sku string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:18081/stock/"+sku, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func main() {
	if err := fetchStock(context.Background(), "A-100"); err != nil {
		log.Printf("stock lookup failed: %v", err)
	}
}
