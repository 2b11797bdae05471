package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// columnKind is how one column of a table is written to Parquet, after AWS's data type
// mappings ("Data conversion when exporting to an Amazon S3 bucket"): the Go type its values
// are held in decides the Parquet primitive type and logical annotation.
type columnKind int

const (
	kindString    columnKind = iota // BYTE_ARRAY, STRING
	kindBytes                       // BYTE_ARRAY (binary)
	kindInt64                       // INT64
	kindInt32                       // INT32
	kindInt16                       // INT32, INT(16, true)
	kindDouble                      // DOUBLE
	kindFloat                       // FLOAT
	kindBool                        // BOOLEAN
	kindTimestamp                   // INT64, TIMESTAMP(MICROS) (MySQL DATETIME and TIMESTAMP)
	kindDecimal32                   // INT32, DECIMAL(p,s) (MySQL DECIMAL, precision up to 9)
	kindDecimal64                   // INT64, DECIMAL(p,s) (MySQL DECIMAL, precision 10 to 18)
)

// exportedType names a kind as export_tables_info's expectedExportedType does.
func (k columnKind) exportedType() string {
	return [...]string{"binary (UTF8)", "binary", "int64", "int32", "int32", "double", "float", "boolean", "timestamp", "decimal", "decimal"}[k]
}

// goType is the Go type a column's values are held in; a pointer, nil for NULL.
func (k columnKind) goType() reflect.Type {
	var v any
	switch k {
	case kindString:
		v = (*string)(nil)
	case kindBytes:
		v = (*[]byte)(nil)
	case kindInt64, kindDecimal64:
		v = (*int64)(nil)
	case kindInt32, kindDecimal32:
		v = (*int32)(nil)
	case kindInt16:
		v = (*int16)(nil)
	case kindDouble:
		v = (*float64)(nil)
	case kindFloat:
		v = (*float32)(nil)
	case kindBool:
		v = (*bool)(nil)
	case kindTimestamp:
		v = (*time.Time)(nil)
	}
	return reflect.TypeOf(v)
}

// exportColumn is one column of an exported table.
type exportColumn struct {
	Name string
	// OriginalType is the column's type in the database, as the engine spells it.
	OriginalType string
	Kind         columnKind
	// Precision and Scale are a decimal column's.
	Precision, Scale int
}

// exportTable is one table an export read: where it lives, its columns and its rows, each a
// value per column (nil for NULL) of the column kind's Go type without the pointer.
type exportTable struct {
	Database, Schema, Name string
	Columns                []exportColumn
	Rows                   [][]any
}

// target is the table's name in export_tables_info: database.schema.table.
func (t exportTable) target() string { return t.Database + "." + t.Schema + "." + t.Name }

// rowType is the Go struct a table's rows are written from: one pointer field per column,
// in the table's order, named for the column in its parquet tag.
func rowType(cols []exportColumn) reflect.Type {
	fields := make([]reflect.StructField, len(cols))
	for i, c := range cols {
		tag := c.Name
		switch c.Kind {
		case kindTimestamp:
			tag += ",timestamp(microsecond)"
		case kindDecimal32, kindDecimal64:
			tag += fmt.Sprintf(",decimal(%d:%d)", c.Scale, c.Precision)
		}
		fields[i] = reflect.StructField{Name: fmt.Sprintf("C%d", i), Type: c.Kind.goType(), Tag: reflect.StructTag(`parquet:"` + tag + `"`)}
	}
	return reflect.StructOf(fields)
}

// writeParquet writes a table's rows as one gzip-compressed Parquet file.
func writeParquet(t exportTable) ([]byte, error) {
	typ := rowType(t.Columns)
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, parquet.SchemaOf(reflect.New(typ).Interface()), parquet.Compression(&parquet.Gzip))
	for _, row := range t.Rows {
		v := reflect.New(typ)
		for i, val := range row {
			if val == nil {
				continue
			}
			p := reflect.New(typ.Field(i).Type.Elem())
			p.Elem().Set(reflect.ValueOf(val))
			v.Elem().Field(i).Set(p)
		}
		if err := w.Write(v.Interface()); err != nil {
			return nil, fmt.Errorf("write %s: %w", t.target(), err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", t.target(), err)
	}
	return buf.Bytes(), nil
}

// partFileName is the name of an export's Parquet file, in AWS's convention:
// part-<partition index>-<random uuid>-c000.gz.parquet.
func partFileName(partition int) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return fmt.Sprintf("part-%05d-%s-%s-%s-%s-%s-c000.gz.parquet", partition, h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

// s3PathPart replaces the characters AWS turns into underscores in an export's S3 paths.
func s3PathPart(s string) string {
	return strings.NewReplacer(`\`, "_", "`", "_", `"`, "_", " ", "_").Replace(s)
}

// skippedColumnName reports a column name AWS skips the table for: one with a space or one
// of , ; { } ( ) = or a tab or newline.
func skippedColumnName(name string) bool { return strings.ContainsAny(name, ",;{}()=\n\t ") }

// decimalUnscaled turns a decimal's text ("-12.30") into its unscaled integer at scale.
func decimalUnscaled(text string, scale int) (*big.Int, error) {
	neg := strings.HasPrefix(text, "-")
	text = strings.TrimLeft(text, "+-")
	whole, frac, _ := strings.Cut(text, ".")
	if len(frac) > scale {
		return nil, fmt.Errorf("decimal %s has more than %d fractional digits", text, scale)
	}
	digits := whole + frac + strings.Repeat("0", scale-len(frac))
	n, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return nil, fmt.Errorf("decimal %q does not parse", text)
	}
	if neg {
		n.Neg(n)
	}
	return n, nil
}
