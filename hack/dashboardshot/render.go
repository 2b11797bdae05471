package main

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// palette is Grafana's classic series palette.
var palette = []color.RGBA{
	{0x73, 0xbf, 0x69, 0xff}, {0xf2, 0xcc, 0x0c, 0xff}, {0x8a, 0xb8, 0xff, 0xff},
	{0xff, 0x78, 0x0a, 0xff}, {0xf2, 0x49, 0x5c, 0xff}, {0x57, 0x94, 0xf2, 0xff},
	{0xb8, 0x77, 0xd9, 0xff}, {0x70, 0x5d, 0xa0, 0xff}, {0x37, 0x87, 0x2d, 0xff},
	{0xfa, 0xde, 0x2a, 0xff}, {0x44, 0x7e, 0xbc, 0xff}, {0xc1, 0x5c, 0x17, 0xff},
}

var (
	background = color.RGBA{0x18, 0x1b, 0x1f, 0xff} // Grafana's dark panel
	foreground = color.RGBA{0xcc, 0xcc, 0xdc, 0xff}
	gridColour = color.RGBA{0x2c, 0x30, 0x35, 0xff}
)

// Render draws the panel's series as lines over time, in Grafana's dark theme, to a PNG.
func Render(p Panel, series []Series, file string) error {
	if len(series) == 0 {
		return fmt.Errorf("no series to draw: the scrapes hold none of the panel's metrics")
	}
	plt := plot.New()
	plt.Title.Text = p.Title
	plt.Title.TextStyle.Color = foreground
	plt.Title.TextStyle.Font.Size = vg.Points(13)
	plt.BackgroundColor = background
	for _, ax := range []*plot.Axis{&plt.X, &plt.Y} {
		ax.Color = foreground
		ax.Tick.Color = foreground
		ax.Tick.Label.Color = foreground
		ax.Label.TextStyle.Color = foreground
	}
	plt.X.Tick.Marker = plot.TimeTicks{Format: "15:04:05"}
	plt.Y.Min = 0
	if p.Unit != "" && p.Unit != "short" {
		plt.Y.Label.Text = unitLabel(p.Unit)
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = gridColour, gridColour
	plt.Add(grid)
	plt.Legend.Top = true
	plt.Legend.Left = true
	plt.Legend.TextStyle.Color = foreground
	plt.Legend.TextStyle.Font.Size = vg.Points(8)

	for i, s := range series {
		pts := make(plotter.XYs, len(s.Times))
		for j := range s.Times {
			pts[j].X = float64(s.Times[j].Unix()) + float64(s.Times[j].Nanosecond())/1e9
			pts[j].Y = s.Values[j]
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		line.Color = palette[i%len(palette)]
		line.Width = vg.Points(1.5)
		plt.Add(line)
		plt.Legend.Add(s.Legend, line)
	}
	// Room above the lines for the legend, a line of it per series.
	plt.Y.Max *= math.Max(1.25, 1+0.08*float64(len(series)))
	if plt.Y.Max == 0 {
		plt.Y.Max = 1
	}
	return plt.Save(8*vg.Inch, 4*vg.Inch, file)
}

// unitLabel names a Grafana unit on the Y axis.
func unitLabel(unit string) string {
	switch unit {
	case "reqps":
		return "requests/s"
	case "ops":
		return "operations/s"
	case "s":
		return "seconds"
	}
	return unit
}
