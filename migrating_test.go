package mqttkit_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttkit/mqttkit"
	"github.com/mqttkit/mqttkit/mqtttest"
)

// seedConsumer is docs/MIGRATING.md's consumer, line for line, with the
// doc's URL list as a parameter; TestMigratingSnippet checks that the
// two stay the same.
func seedConsumer(urls, password string) error {
	ctx := context.Background()
	c, err := mqttkit.Dial(ctx, urls,
		mqttkit.WithCredentials("admin", password))
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Subscribe(ctx, "orders/+/created", mqttkit.HandlerFunc(func(ctx context.Context, m *mqttkit.Message) error {
		return process(m.Payload) // nil: acknowledged; error: see ErrorPolicy
	}), mqttkit.Group("billing"))
	for i := 0; i < 100 && err == nil; i++ {
		err = c.Publish(ctx, "orders/1/created", []byte(strconv.Itoa(i)), mqttkit.QoS1)
	}
	return err
}

// The "Done when" item of issue 4: docs/MIGRATING.md shows the seed's
// consumer (a URL list, credentials, 100 publishes, a subscription) in at
// most 15 lines, and that code works against both brokers: the first URL
// is dead, the second needs the credentials; a watcher receives the 100
// messages in order, and the subscription was granted (its error would
// end the loop before the first publish).
func TestMigratingSnippet(t *testing.T) {
	doc := migratingSnippet(t)
	if n := len(doc); n > 15 {
		t.Errorf("docs/MIGRATING.md's consumer has %d lines, want at most 15", n)
	}
	body := funcBody(t, "migrating_test.go", "seedConsumer")
	body = body[:len(body)-1] // "return err", which the doc leaves to the reader
	const docURLs = `"mqtt://broker-a:1883,mqtt://broker-b:1883"`
	if got, want := strings.Join(doc, "\n"), strings.ReplaceAll(strings.Join(body, "\n"), "urls,", docURLs+","); got != want {
		t.Fatalf("docs/MIGRATING.md's consumer is not seedConsumer's body:\n--- doc\n%s\n--- test\n%s", got, want)
	}
	mqtttest.EachBroker(t, func(t *testing.T, srv mqtttest.Server) {
		watcher := dialURL(t, srv.DirectURL(), mqttkit.WithCredentials("admin", "secret"))
		col := newCollector(100)
		if _, err := watcher.Subscribe(testCtx(t, 10*time.Second), "orders/+/created", col); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- seedConsumer(deadURL(t)+","+srv.URL(), "secret") }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("the doc's consumer: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the doc's consumer did not finish within 30s")
		}
		for i := range 100 {
			if m := col.next(t); string(m.Payload) != strconv.Itoa(i) {
				t.Fatalf("watcher got %q where %d was due", m.Payload, i)
			}
		}
	}, mqtttest.WithUser("admin", "secret"))
}

// migratingSnippet returns the lines of the Go block that follows "The
// seed's consumer" in docs/MIGRATING.md.
func migratingSnippet(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("docs/MIGRATING.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "The seed's consumer")
	if i < 0 {
		t.Fatal(`docs/MIGRATING.md has no "The seed's consumer" paragraph`)
	}
	s = s[i:]
	start := strings.Index(s, "```go\n")
	if start < 0 {
		t.Fatal("no ```go block after the seed's consumer paragraph")
	}
	s = s[start+len("```go\n"):]
	end := strings.Index(s, "```")
	if end < 0 {
		t.Fatal("unterminated ```go block")
	}
	return strings.Split(strings.TrimRight(s[:end], "\n"), "\n")
}

// funcBody returns the lines of function name's body in file, one tab of
// indentation removed.
func funcBody(t *testing.T, file, name string) []string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == name {
			inner := string(src[fset.Position(fd.Body.Lbrace).Offset+1 : fset.Position(fd.Body.Rbrace).Offset])
			lines := strings.Split(strings.Trim(inner, "\n"), "\n")
			for i, l := range lines {
				lines[i] = strings.TrimPrefix(l, "\t")
			}
			return lines
		}
	}
	t.Fatalf("no func %s in %s", name, file)
	return nil
}
