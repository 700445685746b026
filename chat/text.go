package chat

import "strconv"

// Plural is n and the word, with an s unless n is 1: "1 message",
// "3 messages". Every module words its counts this way.
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
