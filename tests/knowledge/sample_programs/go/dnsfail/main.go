package main

import (
	"log"
	"net/http"
)

func main() {
	if _, err := http.Get("http://payments.internal.invalid/v1/charges"); err != nil {
		log.Printf("charge failed: %v", err)
	}
}
