package main

import (
	"log"
	"net/http"
)

func main() {
	resp, err := http.Get("https://localhost:18444/v1/ledger")
	if err != nil {
		log.Printf("ledger sync failed: %v", err)
		return
	}
	resp.Body.Close()
}
