package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
)

// bbolt trusts its file: it memory-maps it and follows page numbers
// without bounds checks, so a damaged file can crash the process (a fault
// or a panic on one of its own goroutines, which cannot be recovered).
// checkFile therefore reads the file with ordinary reads and proves, before
// bbolt sees it, everything bbolt's Open and reads rely on: a valid meta
// page, every reachable page inside the file and referenced once, page
// types, element bounds, key order as bbolt's own check demands, inline
// buckets and the freelist. It is a decoder of untrusted bytes.
//
// Layout (go.etcd.io/bbolt/internal/common; bbolt writes native byte
// order, little-endian on every target Skysieve builds for, amd64 and
// arm64): a page header
// is id u64, flags u16, count u16, overflow u32. A meta (after the header)
// is magic u32, version u32, pageSize u32, flags u32, root bucket (root
// u64, sequence u64), freelist u64, pgid u64, txid u64, checksum u64
// (FNV-64a of the 56 bytes before it). Leaf elements are flags, pos,
// ksize, vsize (u32 each); branch elements pos, ksize (u32), pgid (u64);
// pos counts from the element itself.

const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderBytes  = 16
	elementBytes     = 16
	metaBytes        = 64
	bucketHeaderSize = 16
	flagBranch       = 0x01
	flagLeaf         = 0x02
	flagMeta         = 0x04
	flagFreelist     = 0x10
	bucketLeafFlag   = 0x01
	noFreelist       = ^uint64(0)
	// maxTreeDepth bounds recursion; real trees are a few levels deep.
	maxTreeDepth = 64
)

type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64
	txid     uint64
}

func parseMeta(page []byte) (boltMeta, error) {
	var m boltMeta
	if len(page) < pageHeaderBytes+metaBytes {
		return m, fmt.Errorf("meta page of %d bytes", len(page))
	}
	if f := binary.LittleEndian.Uint16(page[8:]); f != flagMeta {
		return m, fmt.Errorf("meta page has flags %#x", f)
	}
	b := page[pageHeaderBytes:]
	if binary.LittleEndian.Uint32(b) != boltMagic {
		return m, fmt.Errorf("bad magic %#x", binary.LittleEndian.Uint32(b))
	}
	if v := binary.LittleEndian.Uint32(b[4:]); v != boltVersion {
		return m, fmt.Errorf("bbolt format version %d, want %d", v, boltVersion)
	}
	h := fnv.New64a()
	h.Write(b[:56])
	if h.Sum64() != binary.LittleEndian.Uint64(b[56:]) {
		return m, fmt.Errorf("meta checksum mismatch")
	}
	m.pageSize = binary.LittleEndian.Uint32(b[8:])
	m.root = binary.LittleEndian.Uint64(b[16:])
	m.freelist = binary.LittleEndian.Uint64(b[32:])
	m.pgid = binary.LittleEndian.Uint64(b[40:])
	m.txid = binary.LittleEndian.Uint64(b[48:])
	if m.pageSize < 1024 || m.pageSize > 1<<16 || m.pageSize&(m.pageSize-1) != 0 {
		return m, fmt.Errorf("page size %d", m.pageSize)
	}
	return m, nil
}

// fileChecker walks one file.
type fileChecker struct {
	r        io.ReaderAt
	size     int64
	pageSize int64
	pgid     uint64
	visited  []uint64 // bitmap of pages reached
}

// checkFile proves the bbolt file of size bytes safe to open, or says what
// is wrong with it.
func checkFile(r io.ReaderAt, size int64) error {
	if size < 2*1024 {
		return fmt.Errorf("%d bytes is too small for a bbolt file", size)
	}
	var metas []boltMeta
	var errs []error
	// bbolt finds the second meta page one page size in; try the sizes it
	// could have been created with.
	first := make([]byte, pageHeaderBytes+metaBytes)
	if _, err := r.ReadAt(first, 0); err != nil {
		return fmt.Errorf("read meta 0: %w", err)
	}
	m0, err0 := parseMeta(first)
	if err0 == nil {
		metas = append(metas, m0)
	} else {
		errs = append(errs, fmt.Errorf("meta 0: %w", err0))
	}
	for ps := int64(1024); ps <= 1<<16; ps *= 2 {
		if err0 == nil && ps != int64(m0.pageSize) {
			continue
		}
		if ps+pageHeaderBytes+metaBytes > size {
			break
		}
		buf := make([]byte, pageHeaderBytes+metaBytes)
		if _, err := r.ReadAt(buf, ps); err != nil {
			return fmt.Errorf("read meta 1: %w", err)
		}
		m1, err := parseMeta(buf)
		if err == nil && int64(m1.pageSize) == ps && binary.LittleEndian.Uint64(buf) == 1 {
			metas = append(metas, m1)
			break
		}
		if err0 == nil {
			errs = append(errs, fmt.Errorf("meta 1: %v", err))
		}
	}
	if len(metas) == 0 {
		return fmt.Errorf("no valid meta page: %v", errs)
	}
	// bbolt uses the valid meta with the highest transaction id.
	m := metas[0]
	for _, mm := range metas[1:] {
		if mm.txid > m.txid {
			m = mm
		}
	}
	if len(metas) == 2 && metas[0].pageSize != metas[1].pageSize {
		return fmt.Errorf("meta pages disagree on page size")
	}
	c := &fileChecker{r: r, size: size, pageSize: int64(m.pageSize), pgid: m.pgid}
	if m.pgid < 3 || m.pgid > uint64(size/c.pageSize) {
		return fmt.Errorf("high water mark page %d beyond a file of %d pages", m.pgid, size/c.pageSize)
	}
	c.visited = make([]uint64, (m.pgid+63)/64)
	c.mark(0)
	c.mark(1)
	if m.freelist != noFreelist {
		if err := c.checkFreelist(m.freelist); err != nil {
			return err
		}
	}
	_, err := c.checkTree(m.root, nil, nil, 0)
	return err
}

func (c *fileChecker) mark(id uint64) bool {
	w, bit := id/64, uint64(1)<<(id%64)
	if c.visited[w]&bit != 0 {
		return false
	}
	c.visited[w] |= bit
	return true
}

// readPage reads page id with its overflow pages, checking bounds and
// that each page is reached only once.
func (c *fileChecker) readPage(id uint64) ([]byte, error) {
	if id < 2 || id >= c.pgid {
		return nil, fmt.Errorf("page %d outside 2..%d", id, c.pgid-1)
	}
	hdr := make([]byte, pageHeaderBytes)
	if _, err := c.r.ReadAt(hdr, int64(id)*c.pageSize); err != nil {
		return nil, fmt.Errorf("read page %d: %w", id, err)
	}
	if got := binary.LittleEndian.Uint64(hdr); got != id {
		return nil, fmt.Errorf("page %d claims to be page %d", id, got)
	}
	overflow := uint64(binary.LittleEndian.Uint32(hdr[12:]))
	if id+overflow >= c.pgid {
		return nil, fmt.Errorf("page %d overflows past the high water mark", id)
	}
	for i := uint64(0); i <= overflow; i++ {
		if !c.mark(id + i) {
			return nil, fmt.Errorf("page %d referenced twice", id+i)
		}
	}
	buf := make([]byte, int64(overflow+1)*c.pageSize)
	if _, err := c.r.ReadAt(buf, int64(id)*c.pageSize); err != nil {
		return nil, fmt.Errorf("read page %d: %w", id, err)
	}
	return buf, nil
}

func (c *fileChecker) checkFreelist(id uint64) error {
	p, err := c.readPage(id)
	if err != nil {
		return fmt.Errorf("freelist: %w", err)
	}
	if f := binary.LittleEndian.Uint16(p[8:]); f != flagFreelist {
		return fmt.Errorf("freelist page %d has flags %#x", id, f)
	}
	n, off := uint64(binary.LittleEndian.Uint16(p[10:])), uint64(pageHeaderBytes)
	if n == 0xFFFF {
		if len(p) < pageHeaderBytes+8 {
			return fmt.Errorf("freelist page %d truncated", id)
		}
		n, off = binary.LittleEndian.Uint64(p[pageHeaderBytes:]), off+8
	}
	if n > (uint64(len(p))-off)/8 {
		return fmt.Errorf("freelist page %d: %d ids do not fit", id, n)
	}
	for i := uint64(0); i < n; i++ {
		if f := binary.LittleEndian.Uint64(p[off+8*i:]); f < 2 || f >= c.pgid {
			return fmt.Errorf("freelist page %d: free page %d outside 2..%d", id, f, c.pgid-1)
		}
	}
	return nil
}

// checkTree checks the page tree rooted at id: every key in [minKey,
// maxKey) (nil: unbounded), each page's keys increasing, children and
// nested buckets recursively. It returns the subtree's largest key, as
// bbolt's key order check threads it.
func (c *fileChecker) checkTree(id uint64, minKey, maxKey []byte, depth int) ([]byte, error) {
	if depth > maxTreeDepth {
		return nil, fmt.Errorf("page %d: tree deeper than %d", id, maxTreeDepth)
	}
	p, err := c.readPage(id)
	if err != nil {
		return nil, err
	}
	return c.checkPage(id, p, minKey, maxKey, depth)
}

// checkPage checks one page's elements (p may be an inline bucket's page).
func (c *fileChecker) checkPage(id uint64, p []byte, minKey, maxKey []byte, depth int) ([]byte, error) {
	flags := binary.LittleEndian.Uint16(p[8:])
	count := int(binary.LittleEndian.Uint16(p[10:]))
	if flags != flagBranch && flags != flagLeaf {
		return nil, fmt.Errorf("page %d: flags %#x, want branch or leaf", id, flags)
	}
	if pageHeaderBytes+count*elementBytes > len(p) {
		return nil, fmt.Errorf("page %d: %d elements do not fit in %d bytes", id, count, len(p))
	}
	type elem struct {
		key, value []byte
		flags      uint32
		child      uint64
	}
	elems := make([]elem, count)
	for i := range elems {
		off := pageHeaderBytes + i*elementBytes
		e := p[off : off+elementBytes]
		var pos, ksize, vsize uint64
		if flags == flagLeaf {
			elems[i].flags = binary.LittleEndian.Uint32(e)
			pos = uint64(binary.LittleEndian.Uint32(e[4:]))
			ksize = uint64(binary.LittleEndian.Uint32(e[8:]))
			vsize = uint64(binary.LittleEndian.Uint32(e[12:]))
		} else {
			pos = uint64(binary.LittleEndian.Uint32(e))
			ksize = uint64(binary.LittleEndian.Uint32(e[4:]))
			elems[i].child = binary.LittleEndian.Uint64(e[8:])
		}
		start := uint64(off) + pos
		if start+ksize+vsize > uint64(len(p)) {
			return nil, fmt.Errorf("page %d: element %d lies outside the page", id, i)
		}
		elems[i].key = p[start : start+ksize]
		elems[i].value = p[start+ksize : start+ksize+vsize]
	}
	running := minKey
	var maxInSubtree []byte
	for i, e := range elems {
		switch {
		case i == 0 && running != nil && bytes.Compare(running, e.key) > 0:
			return nil, fmt.Errorf("page %d: first key below its ancestor's", id)
		case i > 0 && bytes.Compare(running, e.key) >= 0:
			return nil, fmt.Errorf("page %d: key %d out of order", id, i)
		case maxKey != nil && bytes.Compare(e.key, maxKey) >= 0:
			return nil, fmt.Errorf("page %d: key %d not below the next ancestor key", id, i)
		}
		if flags == flagBranch {
			next := maxKey
			if i < len(elems)-1 {
				next = elems[i+1].key
			}
			sub, err := c.checkTree(e.child, e.key, next, depth+1)
			if err != nil {
				return nil, err
			}
			maxInSubtree, running = sub, sub
			continue
		}
		running = e.key
		maxInSubtree = e.key
		if e.flags&bucketLeafFlag != 0 {
			if err := c.checkBucket(id, e.value, depth); err != nil {
				return nil, err
			}
		}
	}
	return maxInSubtree, nil
}

// checkBucket checks a nested bucket's header and its tree or inline page.
func (c *fileChecker) checkBucket(id uint64, v []byte, depth int) error {
	if len(v) < bucketHeaderSize {
		return fmt.Errorf("page %d: bucket header of %d bytes", id, len(v))
	}
	if depth > maxTreeDepth {
		return fmt.Errorf("page %d: buckets nested deeper than %d", id, maxTreeDepth)
	}
	root := binary.LittleEndian.Uint64(v)
	if root != 0 {
		_, err := c.checkTree(root, nil, nil, depth+1)
		return err
	}
	inline := v[bucketHeaderSize:]
	if len(inline) < pageHeaderBytes {
		return fmt.Errorf("page %d: inline bucket of %d bytes", id, len(inline))
	}
	if f := binary.LittleEndian.Uint16(inline[8:]); f != flagLeaf {
		return fmt.Errorf("page %d: inline bucket with flags %#x", id, f)
	}
	_, err := c.checkPage(id, inline, nil, nil, depth+1)
	return err
}
