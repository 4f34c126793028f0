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
// each RefType, with where it is written (for the failure message), and
// what the reader could not follow (each a failure of the test).
type written struct {
	kinds      map[string][]string
	refTypes   map[string][]string
	unreadable []string
}

const notifyPath = "linli/internal/notify"

// writtenNotices reads the Go source of the module under root (tests,
// hidden folders and testdata excepted) and lists the kinds and RefTypes
// its notices can carry. A kind reaches a notice as the Kind of a
// notify.Notice literal (elided ones in a []notify.Notice{{...}} too), as
// the argument of a function's (or a named func literal's) parameter named
// kind, or by an assignment or var declaration to a variable named kind;
// each is a string literal or a constant. Anything else on those paths is
// listed as unreadable — a kind computed, ranged over, taken from a map
// (kind, ok := ...), set as n.Kind = ..., passed through an exported
// function (whose callers in other packages are not read) or through an
// unnamed func literal, or notify imported under another name — so a kind
// cannot slip past the test by the way it is written.
func writtenNotices(t *testing.T, root string) written {
	t.Helper()
	w := written{kinds: map[string][]string{}, refTypes: map[string][]string{}}
	fset := token.NewFileSet()
	dirs := map[string][]*ast.File{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
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
	where := func(n ast.Node) string {
		pos := fset.Position(n.Pos())
		return filepath.Base(filepath.Dir(pos.Filename)) + "/" + filepath.Base(pos.Filename) + ":" + strconv.Itoa(pos.Line)
	}
	unreadable := func(n ast.Node, why string) {
		w.unreadable = append(w.unreadable, where(n)+": "+why)
	}
	for dir, files := range dirs {
		if filepath.Base(dir) == "notify" {
			continue // the notifier itself writes no kind of its own
		}
		consts := map[string]string{} // the package's string constants
		var funcs []*ast.FuncDecl
		noticing := map[*ast.FuncDecl]bool{} // in a file that imports notify
		for _, f := range files {
			imports := false
			for _, imp := range f.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); p == notifyPath {
					imports = true
					if imp.Name != nil && imp.Name.Name != "notify" {
						unreadable(imp, "notify imported as "+imp.Name.Name+": the reader knows notices as notify.Notice")
					}
				}
			}
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
						noticing[d] = imports
					}
				}
			}
		}
		// The callables that may pass a parameter kind into a notice: the
		// package's functions, and its func literals (named by the variable
		// they are bound to, "" when unbound).
		type callable struct {
			scope    string // the function a func literal is in ("" for a function)
			name     string
			exported bool
			typ      *ast.FuncType
			body     *ast.BlockStmt
		}
		var callables []callable
		for _, fd := range funcs {
			callables = append(callables, callable{"", fd.Name.Name, fd.Name.IsExported(), fd.Type, fd.Body})
			bound := map[*ast.FuncLit]string{}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					for i, l := range n.Lhs {
						if id, ok := l.(*ast.Ident); ok && len(n.Lhs) == len(n.Rhs) {
							if fl, ok := n.Rhs[i].(*ast.FuncLit); ok {
								bound[fl] = id.Name
							}
						}
					}
				case *ast.ValueSpec:
					for i, id := range n.Names {
						if i < len(n.Values) {
							if fl, ok := n.Values[i].(*ast.FuncLit); ok {
								bound[fl] = id.Name
							}
						}
					}
				case *ast.FuncLit:
					callables = append(callables, callable{fd.Name.Name, bound[n], false, n.Type, n.Body})
				}
				return true
			})
		}
		// kindParam: the callables that pass their parameter kind on into
		// a notice (directly or through another such callable), by scope
		// and name → the parameter's index. Found to a fixed point.
		kindParam := map[[2]string]int{}
		// called finds the callable of kindParam a call in scope calls: a
		// func literal of that scope by its name, else a function.
		called := func(scope string) func(*ast.CallExpr) (int, bool) {
			return func(c *ast.CallExpr) (int, bool) {
				if id, ok := c.Fun.(*ast.Ident); ok {
					if i, ok := kindParam[[2]string{scope, id.Name}]; ok {
						return i, true
					}
				}
				i, ok := kindParam[[2]string{"", funcName(c)}]
				return i, ok
			}
		}
		reported := map[*ast.BlockStmt]bool{}
		for changed := true; changed; {
			changed = false
			for _, c := range callables {
				if _, done := kindParam[[2]string{c.scope, c.name}]; done || reported[c.body] {
					continue
				}
				i := paramIndex(c.typ, "kind")
				if i < 0 || !forwardsKind(c.body, called(c.scope)) {
					continue
				}
				switch {
				case c.name == "":
					unreadable(c.body, "a func literal not bound to a name passes its parameter kind into a notice: its callers cannot be read")
					reported[c.body] = true
				case c.exported:
					unreadable(c.body, c.name+" is exported and passes its parameter kind into a notice: its callers in other packages are not read")
					reported[c.body] = true
				default:
					kindParam[[2]string{c.scope, c.name}] = i
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
			s, ok := value(e, forwarded)
			switch {
			case !ok:
				unreadable(e, "the "+what+" of a notice is neither a string literal, a constant nor a variable named kind: this test cannot tell what it is")
			case s != "":
				into[s] = append(into[s], where(e))
			}
		}
		isKind := func(e ast.Expr) bool { id, ok := e.(*ast.Ident); return ok && id.Name == "kind" }
		for _, fd := range funcs {
			// A variable kind is a notice's kind only in a function that
			// puts it into one.
			calls := called(fd.Name.Name)
			kindVar := forwardsKind(fd.Body, calls)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CompositeLit:
					for _, lit := range noticeLits(n) {
						for _, el := range lit.Elts {
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
					}
				case *ast.CallExpr:
					if i, ok := calls(n); ok && i < len(n.Args) {
						record(w.kinds, "kind argument of "+funcName(n), n.Args[i], true)
					}
				case *ast.AssignStmt:
					for i, l := range n.Lhs {
						if sel, ok := l.(*ast.SelectorExpr); ok && noticing[fd] && (sel.Sel.Name == "Kind" || sel.Sel.Name == "RefType") {
							unreadable(l, "a notice's "+sel.Sel.Name+" set by assignment: write it in the notify.Notice literal, where this test reads it")
						}
						if !kindVar || !isKind(l) {
							continue
						}
						if len(n.Rhs) != len(n.Lhs) {
							unreadable(l, "kind assigned from a multi-valued expression: this test cannot tell what it is")
							continue
						}
						record(w.kinds, "kind", n.Rhs[i], true)
					}
				case *ast.ValueSpec:
					for i, id := range n.Names {
						if !kindVar || id.Name != "kind" || len(n.Values) == 0 {
							continue
						}
						if len(n.Values) != len(n.Names) {
							unreadable(id, "kind declared from a multi-valued expression: this test cannot tell what it is")
							continue
						}
						record(w.kinds, "kind", n.Values[i], true)
					}
				case *ast.RangeStmt:
					if kindVar && (n.Key != nil && isKind(n.Key) || n.Value != nil && isKind(n.Value)) {
						unreadable(n, "kind ranged over: this test cannot tell what it is")
					}
				}
				return true
			})
		}
	}
	return w
}

// noticeLits are the notify.Notice literals lit is: itself, or the
// elements written without their type in a slice, array or map of
// notices ([]notify.Notice{{Kind: ...}}).
func noticeLits(lit *ast.CompositeLit) []*ast.CompositeLit {
	if isNotice(lit.Type) {
		return []*ast.CompositeLit{lit}
	}
	var elem ast.Expr
	switch t := lit.Type.(type) {
	case *ast.ArrayType:
		elem = t.Elt
	case *ast.MapType:
		elem = t.Value
	}
	if elem == nil || !isNotice(elem) {
		return nil
	}
	var out []*ast.CompositeLit
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			el = kv.Value
		}
		if u, ok := el.(*ast.UnaryExpr); ok {
			el = u.X
		}
		if c, ok := el.(*ast.CompositeLit); ok && c.Type == nil {
			out = append(out, c)
		}
	}
	return out
}

// forwardsKind reports whether body puts the variable kind into a notice:
// as a notify.Notice's Kind, or as the kind argument of a callable that
// does (called says which argument of a call that is).
func forwardsKind(body *ast.BlockStmt, called func(*ast.CallExpr) (int, bool)) bool {
	isKind := func(e ast.Expr) bool { id, ok := e.(*ast.Ident); return ok && id.Name == "kind" }
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			for _, lit := range noticeLits(n) {
				for _, el := range lit.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok && isKind(kv.Value) {
						if key, ok := kv.Key.(*ast.Ident); ok && key.Name == "Kind" {
							found = true
						}
					}
				}
			}
		case *ast.CallExpr:
			if i, ok := called(n); ok && i < len(n.Args) && isKind(n.Args[i]) {
				found = true
			}
		}
		return !found
	})
	return found
}

// paramIndex is the index of the parameter name of ft, or -1.
func paramIndex(ft *ast.FuncType, name string) int {
	i := 0
	for _, p := range ft.Params.List {
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

// isNotice reports whether a type expression is notify.Notice (or a
// pointer to it).
func isNotice(e ast.Expr) bool {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
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
	w := writtenNotices(t, "..")
	for _, u := range w.unreadable {
		t.Error(u)
	}
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

// The source reader follows every way a kind is written today, and lists
// as unreadable each way it cannot follow, rather than missing the kind:
// read against a package written for the purpose.
func TestTheSourceReaderMissesNoKind(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "probe")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := `package probe

import "linli/internal/notify"

const kindConst = "probe.const"

func literal() notify.Notice { return notify.Notice{Kind: "probe.literal", RefType: "probe_ref"} }
func constant() notify.Notice { return notify.Notice{Kind: kindConst} }
func elided() []notify.Notice { return []notify.Notice{{Kind: "probe.elided"}} }
func pointers() []*notify.Notice { return []*notify.Notice{{Kind: "probe.pointer"}} }

func tellKind(to, kind string) notify.Notice { return notify.Notice{UserID: to, Kind: kind} }
func viaHelper() notify.Notice { return tellKind("u", "probe.helper") }

func closure() []notify.Notice {
	tell := func(kind string) notify.Notice { return notify.Notice{Kind: kind} }
	return []notify.Notice{tell("probe.closure")}
}

// another tell, of this function only: its argument is no kind
func otherTell(tell func(n int) notify.Notice) notify.Notice { return tell(1) }

func assigned(urgent bool) notify.Notice {
	kind := "probe.assigned"
	if urgent {
		kind = "probe.urgent"
	}
	var other = "probe.var"
	_ = other
	return notify.Notice{Kind: kind}
}

func declared() notify.Notice {
	var kind = "probe.declared"
	return notify.Notice{Kind: kind}
}

var kinds = map[string]string{"a": "probe.map"}

func multi(x string) notify.Notice {
	kind, _ := kinds[x]
	return notify.Notice{Kind: kind}
}

func ranged() (out []notify.Notice) {
	for _, kind := range []string{"probe.ranged"} {
		out = append(out, notify.Notice{Kind: kind})
	}
	return out
}

func computed(x string) notify.Notice { return notify.Notice{Kind: "probe." + x} }

func set() notify.Notice {
	n := notify.Notice{Kind: "probe.set"}
	n.Kind = kinds["a"]
	return n
}

func Exported(kind string) notify.Notice { return notify.Notice{Kind: kind} }

func unbound() notify.Notice {
	return func(kind string) notify.Notice { return notify.Notice{Kind: kind} }("probe.unbound")
}

func refType(rt string) notify.Notice { return notify.Notice{Kind: "probe.ref", RefType: rt} }
`
	if err := os.WriteFile(filepath.Join(dir, "probe.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	renamed := "package probe\n\nimport n \"linli/internal/notify\"\n\nfunc renamed() n.Notice { return n.Notice{Kind: \"probe.renamed\"} }\n"
	if err := os.WriteFile(filepath.Join(dir, "renamed.go"), []byte(renamed), 0o644); err != nil {
		t.Fatal(err)
	}
	w := writtenNotices(t, filepath.Dir(dir))
	if got, want := keys(w.kinds), []string{
		"probe.assigned", "probe.closure", "probe.const", "probe.declared", "probe.elided", "probe.helper",
		"probe.literal", "probe.pointer", "probe.ref", "probe.set", "probe.urgent",
	}; !slices.Equal(got, want) {
		t.Errorf("kinds read: %v\nwant %v", got, want)
	}
	if got := keys(w.refTypes); !slices.Equal(got, []string{"probe_ref"}) {
		t.Errorf("RefTypes read: %v", got)
	}
	for _, want := range []string{
		"probe.go|kind assigned from a multi-valued",  // kind, _ := kinds[x]
		"probe.go|kind ranged over",                   // for _, kind := range
		"probe.go|the Kind of a notice is neither",    // "probe." + x
		"probe.go|a notice's Kind set by assignment",  // n.Kind = ...
		"probe.go|Exported is exported",               // callers elsewhere
		"probe.go|a func literal not bound to a name", // called in place
		"probe.go|the RefType of a notice is neither", // RefType: rt
		"renamed.go|notify imported as n",             // n.Notice
	} {
		file, why, _ := strings.Cut(want, "|")
		found := false
		for _, u := range w.unreadable {
			found = found || strings.Contains(u, "/"+file+":") && strings.Contains(u, why)
		}
		if !found {
			t.Errorf("not listed as unreadable: %s\nlisted: %s", want, strings.Join(w.unreadable, "\n"))
		}
	}
	if len(w.unreadable) != 8 {
		t.Errorf("%d unreadable, want 8 (the other tell's argument is no kind):\n%s", len(w.unreadable), strings.Join(w.unreadable, "\n"))
	}
}
