package orbit

import "math"

// deepSpace holds the lunar-solar and resonance terms of SDP4 (Vallado's
// dscom, dsinit, dpper and dspace).
type deepSpace struct {
	// lunar-solar periodic coefficients (dpper)
	e3, ee2, se2, se3, sgh2, sgh3, sgh4                           float64
	sh2, sh3, si2, si3, sl2, sl3, sl4, xgh2, xgh3, xgh4, xh2, xh3 float64
	xi2, xi3, xl2, xl3, xl4, zmol, zmos                           float64
	// secular rates and resonance (dsinit / dspace)
	irez                                                           int
	d2201, d2211, d3210, d3222, d4410, d4422, d5220, d5232, d5421  float64
	d5433, dedt, didt, dmdt, dnodt, domdt, del1, del2, del3, xfact float64
	xlamo                                                          float64
}

const (
	zes    = 0.01675
	zel    = 0.05490
	zns    = 1.19459e-5
	znl    = 1.5835218e-4
	rptim  = 4.37526908801129966e-3 // Earth rotation, rad/min
	incl3d = 5.2359877e-2           // 3 degrees, where node rates are dropped
)

// initDeepSpace runs dscom and dsinit for the propagator's elements.
func (p *Propagator) initDeepSpace(eccsq, xpidot float64) {
	r := &p.rec
	d := &p.deepSp
	const (
		c1ss   = 2.9864797e-6
		c1l    = 4.7968065e-7
		zsinis = 0.39785416
		zcosis = 0.91744867
		zcosgs = 0.1945905
		zsings = -0.98088458
	)

	// dscom
	nm := r.noUnkozai
	em := r.ecco
	snodm, cnodm := math.Sincos(r.nodeo)
	sinomm, cosomm := math.Sincos(r.argpo)
	sinim, cosim := math.Sincos(r.inclo)
	emsq := em * em
	betasq := 1.0 - emsq
	rtemsq := math.Sqrt(betasq)

	day := r.epochDays + 18261.5
	xnodce := math.Mod(4.5236020-9.2422029e-4*day, twoPi)
	stem, ctem := math.Sincos(xnodce)
	zcosil := 0.91375164 - 0.03568096*ctem
	zsinil := math.Sqrt(1.0 - zcosil*zcosil)
	zsinhl := 0.089683511 * stem / zsinil
	zcoshl := math.Sqrt(1.0 - zsinhl*zsinhl)
	gam := 5.8351514 + 0.0019443680*day
	zx := 0.39785416 * stem / zsinil
	zy := zcoshl*ctem + 0.91744867*zsinhl*stem
	zx = math.Atan2(zx, zy)
	zx = gam + zx - xnodce
	zsingl, zcosgl := math.Sincos(zx)

	zcosg, zsing, zcosi, zsini := zcosgs, zsings, zcosis, zsinis
	zcosh, zsinh := cnodm, snodm
	cc := c1ss
	xnoi := 1.0 / nm

	var s1, s2, s3, s4, s5, s6, s7 float64
	var ss1, ss2, ss3, ss4, ss5, ss6, ss7 float64
	var z1, z2, z3, z11, z12, z13, z21, z22, z23, z31, z32, z33 float64
	var sz1, sz2, sz3, sz11, sz12, sz13, sz21, sz22, sz23, sz31, sz32, sz33 float64
	for lsflg := 1; lsflg <= 2; lsflg++ {
		a1 := zcosg*zcosh + zsing*zcosi*zsinh
		a3 := -zsing*zcosh + zcosg*zcosi*zsinh
		a7 := -zcosg*zsinh + zsing*zcosi*zcosh
		a8 := zsing * zsini
		a9 := zsing*zsinh + zcosg*zcosi*zcosh
		a10 := zcosg * zsini
		a2 := cosim*a7 + sinim*a8
		a4 := cosim*a9 + sinim*a10
		a5 := -sinim*a7 + cosim*a8
		a6 := -sinim*a9 + cosim*a10

		x1 := a1*cosomm + a2*sinomm
		x2 := a3*cosomm + a4*sinomm
		x3 := -a1*sinomm + a2*cosomm
		x4 := -a3*sinomm + a4*cosomm
		x5 := a5 * sinomm
		x6 := a6 * sinomm
		x7 := a5 * cosomm
		x8 := a6 * cosomm

		z31 = 12.0*x1*x1 - 3.0*x3*x3
		z32 = 24.0*x1*x2 - 6.0*x3*x4
		z33 = 12.0*x2*x2 - 3.0*x4*x4
		z1 = 3.0*(a1*a1+a2*a2) + z31*emsq
		z2 = 6.0*(a1*a3+a2*a4) + z32*emsq
		z3 = 3.0*(a3*a3+a4*a4) + z33*emsq
		z11 = -6.0*a1*a5 + emsq*(-24.0*x1*x7-6.0*x3*x5)
		z12 = -6.0*(a1*a6+a3*a5) + emsq*(-24.0*(x2*x7+x1*x8)-6.0*(x3*x6+x4*x5))
		z13 = -6.0*a3*a6 + emsq*(-24.0*x2*x8-6.0*x4*x6)
		z21 = 6.0*a2*a5 + emsq*(24.0*x1*x5-6.0*x3*x7)
		z22 = 6.0*(a4*a5+a2*a6) + emsq*(24.0*(x2*x5+x1*x6)-6.0*(x4*x7+x3*x8))
		z23 = 6.0*a4*a6 + emsq*(24.0*x2*x6-6.0*x4*x8)
		z1 = z1 + z1 + betasq*z31
		z2 = z2 + z2 + betasq*z32
		z3 = z3 + z3 + betasq*z33
		s3 = cc * xnoi
		s2 = -0.5 * s3 / rtemsq
		s4 = s3 * rtemsq
		s1 = -15.0 * em * s4
		s5 = x1*x3 + x2*x4
		s6 = x2*x3 + x1*x4
		s7 = x2*x4 - x1*x3

		if lsflg == 1 {
			ss1, ss2, ss3, ss4, ss5, ss6, ss7 = s1, s2, s3, s4, s5, s6, s7
			sz1, sz2, sz3 = z1, z2, z3
			sz11, sz12, sz13 = z11, z12, z13
			sz21, sz22, sz23 = z21, z22, z23
			sz31, sz32, sz33 = z31, z32, z33
			zcosg, zsing, zcosi, zsini = zcosgl, zsingl, zcosil, zsinil
			zcosh = zcoshl*cnodm + zsinhl*snodm
			zsinh = snodm*zcoshl - cnodm*zsinhl
			cc = c1l
		}
	}
	d.zmol = math.Mod(4.7199672+0.22997150*day-gam, twoPi)
	d.zmos = math.Mod(6.2565837+0.017201977*day, twoPi)

	// solar terms
	d.se2 = 2.0 * ss1 * ss6
	d.se3 = 2.0 * ss1 * ss7
	d.si2 = 2.0 * ss2 * sz12
	d.si3 = 2.0 * ss2 * (sz13 - sz11)
	d.sl2 = -2.0 * ss3 * sz2
	d.sl3 = -2.0 * ss3 * (sz3 - sz1)
	d.sl4 = -2.0 * ss3 * (-21.0 - 9.0*emsq) * zes
	d.sgh2 = 2.0 * ss4 * sz32
	d.sgh3 = 2.0 * ss4 * (sz33 - sz31)
	d.sgh4 = -18.0 * ss4 * zes
	d.sh2 = -2.0 * ss2 * sz22
	d.sh3 = -2.0 * ss2 * (sz23 - sz21)
	// lunar terms
	d.ee2 = 2.0 * s1 * s6
	d.e3 = 2.0 * s1 * s7
	d.xi2 = 2.0 * s2 * z12
	d.xi3 = 2.0 * s2 * (z13 - z11)
	d.xl2 = -2.0 * s3 * z2
	d.xl3 = -2.0 * s3 * (z3 - z1)
	d.xl4 = -2.0 * s3 * (-21.0 - 9.0*emsq) * zel
	d.xgh2 = 2.0 * s4 * z32
	d.xgh3 = 2.0 * s4 * (z33 - z31)
	d.xgh4 = -18.0 * s4 * zel
	d.xh2 = -2.0 * s2 * z22
	d.xh3 = -2.0 * s2 * (z23 - z21)
	// The reference's dpper call at initialisation computes offsets it
	// never stores, so the periodics below apply no epoch offset.

	// dsinit
	const (
		q22    = 1.7891679e-6
		q31    = 2.1460748e-6
		q33    = 2.2123015e-7
		root22 = 1.7891679e-6
		root44 = 7.3636953e-9
		root54 = 2.1765803e-9
		root32 = 3.7393792e-7
		root52 = 1.1428639e-7
	)
	inclm := r.inclo
	d.irez = 0
	if nm < 0.0052359877 && nm > 0.0034906585 {
		d.irez = 1
	}
	if nm >= 8.26e-3 && nm <= 9.24e-3 && em >= 0.5 {
		d.irez = 2
	}

	ses := ss1 * zns * ss5
	sis := ss2 * zns * (sz11 + sz13)
	sls := -zns * ss3 * (sz1 + sz3 - 14.0 - 6.0*emsq)
	sghs := ss4 * zns * (sz31 + sz33 - 6.0)
	shs := -zns * ss2 * (sz21 + sz23)
	if inclm < incl3d || inclm > math.Pi-incl3d {
		shs = 0.0
	}
	if sinim != 0.0 {
		shs = shs / sinim
	}
	sgs := sghs - cosim*shs

	d.dedt = ses + s1*znl*s5
	d.didt = sis + s2*znl*(z11+z13)
	d.dmdt = sls - znl*s3*(z1+z3-14.0-6.0*emsq)
	sghl := s4 * znl * (z31 + z33 - 6.0)
	shll := -znl * s2 * (z21 + z23)
	if inclm < incl3d || inclm > math.Pi-incl3d {
		shll = 0.0
	}
	d.domdt = sgs + sghl
	d.dnodt = shs
	if sinim != 0.0 {
		d.domdt = d.domdt - cosim/sinim*shll
		d.dnodt = d.dnodt + shll/sinim
	}

	theta := math.Mod(r.gsto, twoPi)

	if d.irez == 0 {
		return
	}
	aonv := math.Pow(nm/xke, x2o3)

	if d.irez == 2 {
		// 12-hour geopotential resonance, with the epoch eccentricity.
		cosisq := cosim * cosim
		em := r.ecco
		emsq := eccsq
		eoc := em * emsq
		g201 := -0.306 - (em-0.64)*0.440
		var g211, g310, g322, g410, g422, g520, g521, g532, g533 float64
		if em <= 0.65 {
			g211 = 3.616 - 13.2470*em + 16.2900*emsq
			g310 = -19.302 + 117.3900*em - 228.4190*emsq + 156.5910*eoc
			g322 = -18.9068 + 109.7927*em - 214.6334*emsq + 146.5816*eoc
			g410 = -41.122 + 242.6940*em - 471.0940*emsq + 313.9530*eoc
			g422 = -146.407 + 841.8800*em - 1629.014*emsq + 1083.4350*eoc
			g520 = -532.114 + 3017.977*em - 5740.032*emsq + 3708.2760*eoc
		} else {
			g211 = -72.099 + 331.819*em - 508.738*emsq + 266.724*eoc
			g310 = -346.844 + 1582.851*em - 2415.925*emsq + 1246.113*eoc
			g322 = -342.585 + 1554.908*em - 2366.899*emsq + 1215.972*eoc
			g410 = -1052.797 + 4758.686*em - 7193.992*emsq + 3651.957*eoc
			g422 = -3581.690 + 16178.110*em - 24462.770*emsq + 12422.520*eoc
			if em > 0.715 {
				g520 = -5149.66 + 29936.92*em - 54087.36*emsq + 31324.56*eoc
			} else {
				g520 = 1464.74 - 4664.75*em + 3763.64*emsq
			}
		}
		if em < 0.7 {
			g533 = -919.22770 + 4988.6100*em - 9064.7700*emsq + 5542.21*eoc
			g521 = -822.71072 + 4568.6173*em - 8491.4146*emsq + 5337.524*eoc
			g532 = -853.66600 + 4690.2500*em - 8624.7700*emsq + 5341.4*eoc
		} else {
			g533 = -37995.780 + 161616.52*em - 229838.20*emsq + 109377.94*eoc
			g521 = -51752.104 + 218913.95*em - 309468.16*emsq + 146349.42*eoc
			g532 = -40023.880 + 170470.89*em - 242699.48*emsq + 115605.82*eoc
		}
		sini2 := sinim * sinim
		f220 := 0.75 * (1.0 + 2.0*cosim + cosisq)
		f221 := 1.5 * sini2
		f321 := 1.875 * sinim * (1.0 - 2.0*cosim - 3.0*cosisq)
		f322 := -1.875 * sinim * (1.0 + 2.0*cosim - 3.0*cosisq)
		f441 := 35.0 * sini2 * f220
		f442 := 39.3750 * sini2 * sini2
		f522 := 9.84375 * sinim * (sini2*(1.0-2.0*cosim-5.0*cosisq) +
			0.33333333*(-2.0+4.0*cosim+6.0*cosisq))
		f523 := sinim * (4.92187512*sini2*(-2.0-4.0*cosim+10.0*cosisq) +
			6.56250012*(1.0+2.0*cosim-3.0*cosisq))
		f542 := 29.53125 * sinim * (2.0 - 8.0*cosim + cosisq*(-12.0+8.0*cosim+10.0*cosisq))
		f543 := 29.53125 * sinim * (-2.0 - 8.0*cosim + cosisq*(12.0+8.0*cosim-10.0*cosisq))
		xno2 := nm * nm
		ainv2 := aonv * aonv
		temp1 := 3.0 * xno2 * ainv2
		temp := temp1 * root22
		d.d2201 = temp * f220 * g201
		d.d2211 = temp * f221 * g211
		temp1 = temp1 * aonv
		temp = temp1 * root32
		d.d3210 = temp * f321 * g310
		d.d3222 = temp * f322 * g322
		temp1 = temp1 * aonv
		temp = 2.0 * temp1 * root44
		d.d4410 = temp * f441 * g410
		d.d4422 = temp * f442 * g422
		temp1 = temp1 * aonv
		temp = temp1 * root52
		d.d5220 = temp * f522 * g520
		d.d5232 = temp * f523 * g532
		temp = 2.0 * temp1 * root54
		d.d5421 = temp * f542 * g521
		d.d5433 = temp * f543 * g533
		d.xlamo = math.Mod(r.mo+r.nodeo+r.nodeo-theta-theta, twoPi)
		d.xfact = r.mdot + d.dmdt + 2.0*(r.nodedot+d.dnodt-rptim) - r.noUnkozai
	}

	if d.irez == 1 {
		// 24-hour synchronous resonance.
		g200 := 1.0 + emsq*(-2.5+0.8125*emsq)
		g310 := 1.0 + 2.0*emsq
		g300 := 1.0 + emsq*(-6.0+6.60937*emsq)
		f220 := 0.75 * (1.0 + cosim) * (1.0 + cosim)
		f311 := 0.9375*sinim*sinim*(1.0+3.0*cosim) - 0.75*(1.0+cosim)
		f330 := 1.0 + cosim
		f330 = 1.875 * f330 * f330 * f330
		d.del1 = 3.0 * nm * nm * aonv * aonv
		d.del2 = 2.0 * d.del1 * f220 * g200 * q22
		d.del3 = 3.0 * d.del1 * f330 * g300 * q33 * aonv
		d.del1 = d.del1 * f311 * g310 * q31 * aonv
		d.xlamo = math.Mod(r.mo+r.nodeo+r.argpo-theta, twoPi)
		d.xfact = r.mdot + xpidot - rptim + d.dmdt + d.domdt + d.dnodt - r.noUnkozai
	}
}

// secular applies the deep-space secular rates and integrates the
// resonance terms from epoch to t (Vallado's dspace). The integrator always
// starts at epoch, so the result does not depend on earlier calls.
func (d *deepSpace) secular(r *satrec, t, em, argpm, inclm, mm, nodem float64) (emOut, argpmOut, inclmOut, mmOut, nodemOut, nm float64) {
	const (
		fasx2 = 0.13130908
		fasx4 = 2.8843198
		fasx6 = 0.37448087
		g22   = 5.7686396
		g32   = 0.95240898
		g44   = 1.8014998
		g52   = 1.0508330
		g54   = 4.4108898
		stepp = 720.0
		stepn = -720.0
		step2 = 259200.0
	)
	dndt := 0.0
	theta := math.Mod(r.gsto+t*rptim, twoPi)
	em = em + d.dedt*t
	inclm = inclm + d.didt*t
	argpm = argpm + d.domdt*t
	nodem = nodem + d.dnodt*t
	mm = mm + d.dmdt*t
	nm = r.noUnkozai

	if d.irez == 0 {
		return em, argpm, inclm, mm, nodem, nm
	}
	atime := 0.0
	xni := r.noUnkozai
	xli := d.xlamo
	delt := stepn
	if t > 0.0 {
		delt = stepp
	}
	var xndt, xldot, xnddt, ft float64
	for {
		if d.irez != 2 {
			xndt = d.del1*math.Sin(xli-fasx2) + d.del2*math.Sin(2.0*(xli-fasx4)) +
				d.del3*math.Sin(3.0*(xli-fasx6))
			xldot = xni + d.xfact
			xnddt = d.del1*math.Cos(xli-fasx2) + 2.0*d.del2*math.Cos(2.0*(xli-fasx4)) +
				3.0*d.del3*math.Cos(3.0*(xli-fasx6))
			xnddt = xnddt * xldot
		} else {
			xomi := r.argpo + r.argpdot*atime
			x2omi := xomi + xomi
			x2li := xli + xli
			xndt = d.d2201*math.Sin(x2omi+xli-g22) + d.d2211*math.Sin(xli-g22) +
				d.d3210*math.Sin(xomi+xli-g32) + d.d3222*math.Sin(-xomi+xli-g32) +
				d.d4410*math.Sin(x2omi+x2li-g44) + d.d4422*math.Sin(x2li-g44) +
				d.d5220*math.Sin(xomi+xli-g52) + d.d5232*math.Sin(-xomi+xli-g52) +
				d.d5421*math.Sin(xomi+x2li-g54) + d.d5433*math.Sin(-xomi+x2li-g54)
			xldot = xni + d.xfact
			xnddt = d.d2201*math.Cos(x2omi+xli-g22) + d.d2211*math.Cos(xli-g22) +
				d.d3210*math.Cos(xomi+xli-g32) + d.d3222*math.Cos(-xomi+xli-g32) +
				d.d5220*math.Cos(xomi+xli-g52) + d.d5232*math.Cos(-xomi+xli-g52) +
				2.0*(d.d4410*math.Cos(x2omi+x2li-g44)+d.d4422*math.Cos(x2li-g44)+
					d.d5421*math.Cos(xomi+x2li-g54)+d.d5433*math.Cos(-xomi+x2li-g54))
			xnddt = xnddt * xldot
		}
		if math.Abs(t-atime) < stepp {
			ft = t - atime
			break
		}
		xli = xli + xldot*delt + xndt*step2
		xni = xni + xndt*delt + xnddt*step2
		atime = atime + delt
	}
	nm = xni + xndt*ft + xnddt*ft*ft*0.5
	xl := xli + xldot*ft + xndt*ft*ft*0.5
	if d.irez != 1 {
		mm = xl - 2.0*nodem + 2.0*theta
	} else {
		mm = xl - nodem - argpm + theta
	}
	dndt = nm - r.noUnkozai
	nm = r.noUnkozai + dndt
	return em, argpm, inclm, mm, nodem, nm
}

// periodics applies the lunar-solar periodic terms (Vallado's dpper).
func (d *deepSpace) periodics(t, ep, inclp, nodep, argpp, mp float64) (epOut, inclpOut, nodepOut, argppOut, mpOut float64) {
	zm := d.zmos + zns*t
	zf := zm + 2.0*zes*math.Sin(zm)
	sinzf, coszf := math.Sincos(zf)
	f2 := 0.5*sinzf*sinzf - 0.25
	f3 := -0.5 * sinzf * coszf
	ses := d.se2*f2 + d.se3*f3
	sis := d.si2*f2 + d.si3*f3
	sls := d.sl2*f2 + d.sl3*f3 + d.sl4*sinzf
	sghs := d.sgh2*f2 + d.sgh3*f3 + d.sgh4*sinzf
	shs := d.sh2*f2 + d.sh3*f3
	zm = d.zmol + znl*t
	zf = zm + 2.0*zel*math.Sin(zm)
	sinzf, coszf = math.Sincos(zf)
	f2 = 0.5*sinzf*sinzf - 0.25
	f3 = -0.5 * sinzf * coszf
	sel := d.ee2*f2 + d.e3*f3
	sil := d.xi2*f2 + d.xi3*f3
	sll := d.xl2*f2 + d.xl3*f3 + d.xl4*sinzf
	sghl := d.xgh2*f2 + d.xgh3*f3 + d.xgh4*sinzf
	shll := d.xh2*f2 + d.xh3*f3
	pe := ses + sel
	pinc := sis + sil
	pl := sls + sll
	pgh := sghs + sghl
	ph := shs + shll
	inclp = inclp + pinc
	ep = ep + pe
	sinip, cosip := math.Sincos(inclp)
	if inclp >= 0.2 {
		ph = ph / sinip
		pgh = pgh - cosip*ph
		argpp = argpp + pgh
		nodep = nodep + ph
		mp = mp + pl
		return ep, inclp, nodep, argpp, mp
	}
	// Lyddane modification for low inclination.
	sinop, cosop := math.Sincos(nodep)
	alfdp := sinip * sinop
	betdp := sinip * cosop
	dalf := ph*cosop + pinc*cosip*sinop
	dbet := -ph*sinop + pinc*cosip*cosop
	alfdp = alfdp + dalf
	betdp = betdp + dbet
	nodep = math.Mod(nodep, twoPi)
	xls := mp + argpp + cosip*nodep
	dls := pl + pgh - pinc*nodep*sinip
	xls = xls + dls
	xnoh := nodep
	nodep = math.Atan2(alfdp, betdp)
	if math.Abs(xnoh-nodep) > math.Pi {
		if nodep < xnoh {
			nodep = nodep + twoPi
		} else {
			nodep = nodep - twoPi
		}
	}
	mp = mp + pl
	argpp = xls - mp - cosip*nodep
	return ep, inclp, nodep, argpp, mp
}
