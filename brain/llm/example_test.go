package llm_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/docent-bot/docent/brain/llm"
)

// The bot's use: stream the answer into a message edited at most once a
// second, then finish it with the sources it cites.
func ExampleClient_Stream() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, ev := range []string{
			`{"choices":[{"index":0,"delta":{"content":"Put it in intents/ [1]"}}]}`,
			`{"choices":[{"index":0,"delta":{"content":" and run !reload [2][5]."},"finish_reason":"stop"}]}`,
			`[DONE]`,
		} {
			fmt.Fprintf(w, "data: %s\n\n", ev)
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()

	cfg := llm.DefaultConfig()
	cfg.BaseURL, cfg.Model = srv.URL+"/v1", "llama3.1:8b"
	client, err := llm.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	passages := []llm.Passage{
		{Title: "Adding an intent", Link: "https://docs.example.org/intents", Text: "Intents live in intents/."},
		{Title: "Reloading", Link: "https://docs.example.org/reload", Text: "!reload loads changed intents."},
	}
	edits := llm.Throttle(time.Second, func(text string) { /* edit the message */ })
	ans, err := client.Stream(context.Background(), llm.Request{Question: "How do I add an intent?", Passages: passages}, edits.Update)
	edits.Stop()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ans.Text)
	fmt.Println(llm.Sources(passages, ans.Cited))
	// Output:
	// Put it in intents/ [1] and run !reload [2].
	// Sources:
	// [1] Adding an intent <https://docs.example.org/intents>
	// [2] Reloading <https://docs.example.org/reload>
}
