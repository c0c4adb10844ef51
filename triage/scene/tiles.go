package scene

// TileRef is one tile of a scene: its index in the tile grid, its pixel
// window and its WGS84 footprint.
type TileRef struct {
	Row, Col int // position in the tile grid, from the north-west
	X0, Y0   int // upper-left pixel (column, row) of the window
	W, H     int // window size in pixels (always the requested size)
	// Footprint is the window's closed WGS84 [lon, lat] ring (see
	// Footprint).
	Footprint [][2]float64
}

// Tiles cuts s into sizePx×sizePx windows covering the whole scene, in
// row-major order. Every tile has the full size: where the scene is not a
// multiple of sizePx, the last tile of a row or column is moved back so it
// ends at the scene's edge and overlaps its neighbour, so no pixel is left
// out and the model always sees a full tile. A scene smaller than sizePx in
// either direction, or a non-positive size, yields no tiles.
func Tiles(s *Scene, sizePx int) []TileRef {
	if sizePx <= 0 || s.Width < sizePx || s.Height < sizePx {
		return nil
	}
	xs := tileStarts(s.Width, sizePx)
	ys := tileStarts(s.Height, sizePx)
	tiles := make([]TileRef, 0, len(xs)*len(ys))
	for r, y0 := range ys {
		for c, x0 := range xs {
			tiles = append(tiles, TileRef{
				Row: r, Col: c, X0: x0, Y0: y0, W: sizePx, H: sizePx,
				Footprint: Footprint(s.Geo, x0, y0, sizePx, sizePx),
			})
		}
	}
	return tiles
}

// tileStarts returns the window starts along one axis of length n.
func tileStarts(n, size int) []int {
	count := (n + size - 1) / size
	starts := make([]int, count)
	for i := range starts {
		starts[i] = min(i*size, n-size)
	}
	return starts
}
