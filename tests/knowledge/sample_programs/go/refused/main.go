package main

import (
	"database/sql"
	"log"
	"net"
)

func main() {
	_ = sql.ErrNoRows
	conn, err := net.Dial("tcp", "127.0.0.1:9")
	if err != nil {
		log.Fatalf("connect to ledger: %v", err)
	}
	conn.Close()
}
