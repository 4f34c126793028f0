package configs_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"linli/configs"
	"linli/internal/notify"
)

// written is what the code can write into notices: each event kind and
// each RefType, with where it is written (for the failure message).
type written struct {
	kinds    map[string][]string
	refTypes map[string][]string
}

// writtenNotices reads the Go source of every area under root (tests
// excepted) and lists the kinds and RefTypes its notices can carry. A kind
// reaches a notice as the Kind of a notify.Notice literal, as the argument
// of a function's parameter named kind, or by an assignment to a variable
// named kind; each is a string literal or a constant. Anything else there
// is reported as unreadable, so a kind cannot slip past this test by being
// computed.
func writtenNotices(t *testing.T, root string) written {
	t.Helper()
	w := written{kinds: map[string][]string{}, refTypes: map[string][]string{}}
	fset := token.NewFileSet()
	dirs := map[string][]*ast.File{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, files := range dirs {
		if filepath.Base(dir) == "notify" {
			continue // the notifier itself writes no kind of its own
		}
		consts := map[string]string{} // the package's string constants
		var funcs []*ast.FuncDecl
		for _, f := range files {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.GenDecl:
					if d.Tok != token.CONST {
						continue
					}
					for _, sp := range d.Specs {
						vs := sp.(*ast.ValueSpec)
						for i, n := range vs.Names {
							if i < len(vs.Values) {
								if s, ok := stringLit(vs.Values[i]); ok {
									consts[n.Name] = s
								}
							}
						}
					}
				case *ast.FuncDecl:
					if d.Body != nil {
						funcs = append(funcs, d)
					}
				}
			}
		}
		// kindParam: the functions that pass their parameter kind on into
		// a notice (directly or through another such function), by name →
		// the parameter's index. Found to a fixed point.
		kindParam := map[string]int{}
		for changed := true; changed; {
			changed = false
			for _, fd := range funcs {
				if _, done := kindParam[fd.Name.Name]; done {
					continue
				}
				if i := paramIndex(fd, "kind"); i >= 0 && forwardsKind(fd.Body, kindParam) {
					kindParam[fd.Name.Name] = i
					changed = true
				}
			}
		}
		// value resolves what reaches a kind or RefType: a literal, a
		// constant, or (forwarding) the variable kind, whose own sources
		// are read where they are given.
		value := func(e ast.Expr, forwarded bool) (string, bool) {
			if s, ok := stringLit(e); ok {
				return s, true
			}
			if id, ok := e.(*ast.Ident); ok {
				if s, ok := consts[id.Name]; ok {
					return s, true
				}
				if forwarded && id.Name == "kind" {
					return "", true
				}
			}
			return "", false
		}
		record := func(into map[string][]string, what string, e ast.Expr, forwarded bool) {
			pos := fset.Position(e.Pos())
			at := filepath.Base(filepath.Dir(pos.Filename)) + "/" + filepath.Base(pos.Filename) + ":" + strconv.Itoa(pos.Line)
			s, ok := value(e, forwarded)
			switch {
			case !ok:
				t.Errorf("%s: the %s of a notice is neither a string literal, a constant nor a variable named kind: this test cannot tell what it is", at, what)
			case s != "":
				into[s] = append(into[s], at)
			}
		}
		for _, fd := range funcs {
			// A variable kind is a notice's kind only in a function that
			// puts it into one.
			kindVar := forwardsKind(fd.Body, kindParam)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CompositeLit:
					if !isNotice(n.Type) {
						return true
					}
					for _, el := range n.Elts {
						kv, ok := el.(*ast.KeyValueExpr)
						if !ok {
							continue
						}
						switch key, _ := kv.Key.(*ast.Ident); {
						case key == nil:
						case key.Name == "Kind":
							record(w.kinds, "Kind", kv.Value, true)
						case key.Name == "RefType":
							record(w.refTypes, "RefType", kv.Value, false)
						}
					}
				case *ast.CallExpr:
					if i, ok := kindParam[funcName(n)]; ok && i < len(n.Args) {
						record(w.kinds, "kind argument of "+funcName(n), n.Args[i], true)
					}
				case *ast.AssignStmt:
					for i, l := range n.Lhs {
						if id, ok := l.(*ast.Ident); ok && kindVar && id.Name == "kind" && len(n.Rhs) == len(n.Lhs) {
							record(w.kinds, "kind", n.Rhs[i], true)
						}
					}
				}
				return true
			})
		}
	}
	return w
}

// forwardsKind reports whether body puts the variable kind into a notice:
// as a notify.Notice's Kind, or as the kind argument of a function of
// kindParam.
func forwardsKind(body *ast.BlockStmt, kindParam map[string]int) bool {
	isKind := func(e ast.Expr) bool { id, ok := e.(*ast.Ident); return ok && id.Name == "kind" }
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			if isNotice(n.Type) {
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok && isKind(kv.Value) {
						if key, ok := kv.Key.(*ast.Ident); ok && key.Name == "Kind" {
							found = true
						}
					}
				}
			}
		case *ast.CallExpr:
			if i, ok := kindParam[funcName(n)]; ok && i < len(n.Args) && isKind(n.Args[i]) {
				found = true
			}
		}
		return !found
	})
	return found
}

// paramIndex is the index of fd's parameter name, or -1.
func paramIndex(fd *ast.FuncDecl, name string) int {
	i := 0
	for _, p := range fd.Type.Params.List {
		if len(p.Names) == 0 {
			i++
		}
		for _, n := range p.Names {
			if n.Name == name {
				return i
			}
			i++
		}
	}
	return -1
}

// funcName is the name a call calls (f(...) or x.f(...)).
func funcName(c *ast.CallExpr) string {
	switch fn := c.Fun.(type) {
	case *ast.Ident:
		return fn.Name
	case *ast.SelectorExpr:
		return fn.Sel.Name
	}
	return ""
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// isNotice reports whether a composite literal's type is notify.Notice.
func isNotice(e ast.Expr) bool {
	if u, ok := e.(*ast.UnaryExpr); ok {
		e = u.X
	}
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "notify" && sel.Sel.Name == "Notice"
}

// Every event kind any area can write is carried by a template of
// subscribe-templates.json (or declared there as in-app only, with its
// reason), every RefType a notice can carry opens a page of the
// mini-program, and the file names no kind the code never writes (a typo
// there would leave the real kind in the app without a word).
func TestEveryKindTheCodeWritesHasATemplateAndAPage(t *testing.T) {
	tmpl, err := notify.ParseTemplates(configs.SubscribeTemplates)
	if err != nil {
		t.Fatal(err)
	}
	w := writtenNotices(t, filepath.Join("..", "internal"))
	// The reader must see what is known to be there, or it reads nothing.
	for _, k := range []string{"message.accepted", "wish.claimed", "activity.promoted", "party.checkin.reviewed"} {
		if len(w.kinds[k]) == 0 {
			t.Fatalf("the source reader missed %s: it found %v", k, keys(w.kinds))
		}
	}
	for _, rt := range []string{"message", "wish", "activity", "party_registration", "party_checkin"} {
		if len(w.refTypes[rt]) == 0 {
			t.Fatalf("the source reader missed RefType %s: it found %v", rt, keys(w.refTypes))
		}
	}

	for _, k := range keys(w.kinds) {
		_, sent := tmpl.For(k)
		_, inApp := tmpl.InAppOnly[k]
		if !sent && !inApp {
			t.Errorf("kind %s (written at %s) has no template in configs/subscribe-templates.json and is not declared in inAppOnly",
				k, strings.Join(w.kinds[k], ", "))
		}
	}
	for _, rt := range keys(w.refTypes) {
		if p := tmpl.Pages[rt]; !strings.HasPrefix(p, "pages/") || !strings.Contains(p, "{id}") {
			t.Errorf("RefType %s (written at %s) has no mini-program page with {id} in configs/subscribe-templates.json: %q",
				rt, strings.Join(w.refTypes[rt], ", "), p)
		}
	}
	var configured []string
	for _, tp := range tmpl.List {
		configured = append(configured, tp.Kinds...)
	}
	for k := range tmpl.InAppOnly {
		configured = append(configured, k)
	}
	for _, k := range configured {
		if len(w.kinds[k]) == 0 {
			t.Errorf("configs/subscribe-templates.json names kind %s, which no code writes", k)
		}
	}
}

func keys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
