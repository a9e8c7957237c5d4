package apicheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// publicFiles returns the non-test, hand-written Go files of the module's
// public packages (everything but internal/, cmd/, generated code and
// nested modules' own internals).
func publicFiles(t *testing.T) []string {
	t.Helper()
	root := filepath.Join("..", "..")
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			switch {
			case rel == ".":
				return nil
			case strings.HasPrefix(d.Name(), "."), d.Name() == "testdata", d.Name() == "internal", rel == "cmd":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") && !strings.HasSuffix(p, ".gen.go") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 20 {
		t.Fatalf("found only %d files: is the walk wrong?", len(out))
	}
	return out
}

// TestPublicAPIRules: no exported mutable package-level variable except
// sentinel errors (Err…), and every exported declaration, struct field and
// method documented.
func TestPublicAPIRules(t *testing.T) {
	fset := token.NewFileSet()
	for _, p := range publicFiles(t) {
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name == "main" {
			continue
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() || d.Doc != nil {
					continue
				}
				if d.Recv != nil && !exportedRecv(d.Recv) {
					continue
				}
				t.Errorf("%s: exported %s has no doc comment", fset.Position(d.Pos()), d.Name.Name)
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if !n.IsExported() {
								continue
							}
							if d.Tok == token.VAR && !strings.HasPrefix(n.Name, "Err") {
								t.Errorf("%s: exported package-level variable %s: only sentinel errors may be variables", fset.Position(n.Pos()), n.Name)
							}
							if s.Doc == nil && s.Comment == nil && d.Doc == nil {
								t.Errorf("%s: exported %s has no doc comment", fset.Position(n.Pos()), n.Name)
							}
						}
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						if s.Doc == nil && d.Doc == nil {
							t.Errorf("%s: exported type %s has no doc comment", fset.Position(s.Pos()), s.Name.Name)
						}
					}
				}
			}
		}
	}
}

func exportedRecv(r *ast.FieldList) bool {
	if len(r.List) == 0 {
		return false
	}
	x := r.List[0].Type
	if s, ok := x.(*ast.StarExpr); ok {
		x = s.X
	}
	if ix, ok := x.(*ast.IndexExpr); ok {
		x = ix.X
	}
	id, ok := x.(*ast.Ident)
	return ok && id.IsExported()
}

// TestPublicFieldsDocumented: every exported struct field and interface
// method of the public packages has a comment of its own.
func TestPublicFieldsDocumented(t *testing.T) {
	fset := token.NewFileSet()
	var missing []string
	for _, p := range publicFiles(t) {
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if s, ok := n.(*ast.TypeSpec); ok && s.Name.IsExported() {
				missing = append(missing, checkFields(fset, s)...)
			}
			return true
		})
	}
	if len(missing) > 0 {
		t.Errorf("%d exported fields or methods without a comment of their own:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// checkFields returns the exported fields of a struct type, and methods of
// an interface type, that have no comment.
func checkFields(fset *token.FileSet, s *ast.TypeSpec) []string {
	var fields *ast.FieldList
	switch x := s.Type.(type) {
	case *ast.StructType:
		fields = x.Fields
	case *ast.InterfaceType:
		fields = x.Methods
	default:
		return nil
	}
	var out []string
	for _, f := range fields.List {
		for _, n := range f.Names {
			if n.IsExported() && f.Doc == nil && f.Comment == nil {
				out = append(out, fmt.Sprintf("%s: %s.%s", fset.Position(n.Pos()), s.Name.Name, n.Name))
			}
		}
	}
	return out
}
