package main

import "fmt"

func loadIndex(n int) [][]byte {
	pages := make([][]byte, 0)
	for i := 0; i < n; i++ {
		pages = append(pages, make([]byte, 64<<20))
		pages[i][0] = 1
	}
	return pages
}

func main() {
	fmt.Println(len(loadIndex(1000)))
}
