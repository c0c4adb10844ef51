package fec

// GF(2^8) arithmetic with the field klauspost/reedsolomon uses
// (polynomial x^8+x^4+x^3+x^2+1, generator 2), for the small systems
// DecodeBlock solves itself. Bulk multiplication stays in reedsolomon.

var gfExp, gfLog = func() (exp [510]byte, log [256]byte) {
	x := 1
	for i := 0; i < 255; i++ {
		exp[i] = byte(x)
		exp[i+255] = byte(x)
		log[x] = byte(i)
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11D
		}
	}
	return exp, log
}()

func gfMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return gfExp[int(gfLog[a])+int(gfLog[b])]
}

func gfInv(a byte) byte { return gfExp[255-int(gfLog[a])] }

// gfInvert returns the inverse of the square matrix m (not modified), or
// false if it is singular.
func gfInvert(m [][]byte) ([][]byte, bool) {
	n := len(m)
	a := make([][]byte, n)
	inv := make([][]byte, n)
	for i := range m {
		a[i] = append([]byte(nil), m[i]...)
		inv[i] = make([]byte, n)
		inv[i][i] = 1
	}
	for col := 0; col < n; col++ {
		p := col
		for p < n && a[p][col] == 0 {
			p++
		}
		if p == n {
			return nil, false
		}
		a[col], a[p] = a[p], a[col]
		inv[col], inv[p] = inv[p], inv[col]
		if s := gfInv(a[col][col]); s != 1 {
			for j := 0; j < n; j++ {
				a[col][j] = gfMul(a[col][j], s)
				inv[col][j] = gfMul(inv[col][j], s)
			}
		}
		for r := 0; r < n; r++ {
			if f := a[r][col]; r != col && f != 0 {
				for j := 0; j < n; j++ {
					a[r][j] ^= gfMul(f, a[col][j])
					inv[r][j] ^= gfMul(f, inv[col][j])
				}
			}
		}
	}
	return inv, true
}
