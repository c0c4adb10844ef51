package orbit

import (
	"fmt"
	"math"
	"time"
)

// WGS-72 constants, as SGP4 and the element sets it consumes assume them.
const (
	earthRadiusKm = 6378.135
	muKm3PerSec2  = 398600.8
	j2            = 0.001082616
	j3            = -0.00000253881
	j4            = -0.00000165597
	j3oj2         = j3 / j2
	twoPi         = 2 * math.Pi
	x2o3          = 2.0 / 3.0
	deg2rad       = math.Pi / 180
	minPerDay     = 1440.0
)

var (
	// xke is sqrt(mu) in earth radii^1.5 per minute.
	xke       = 60.0 / math.Sqrt(earthRadiusKm*earthRadiusKm*earthRadiusKm/muKm3PerSec2)
	vkmpersec = earthRadiusKm * xke / 60.0
)

// Propagator computes TEME states for one element set with SGP4 (near
// Earth, period under 225 minutes) or SDP4 (deep space). It is immutable
// after NewPropagator, so one Propagator may be used from many goroutines.
type Propagator struct {
	tle    TLE
	epoch  time.Time
	deep   bool
	isimp  bool
	rec    satrec
	deepSp deepSpace
}

// satrec holds the initialised near-Earth model. Field names follow
// Vallado's reference so the code can be checked against the paper.
type satrec struct {
	// elements, radians and radians per minute
	bstar, ecco, argpo, inclo, mo, noKozai, nodeo, noUnkozai float64
	// epoch in days since 1949-12-31 00:00 UT, and GMST at epoch
	epochDays, gsto float64

	aycof, con41, cc1, cc4, cc5, d2, d3, d4, delmo, eta, argpdot, omgcof float64
	sinmao, t2cof, t3cof, t4cof, t5cof, x1mth2, x7thm1, mdot, nodedot    float64
	xlcof, xmcof, nodecf                                                 float64
	// aoNoDrag is (xke/no)^(2/3), the semi-major axis before drag.
	aoNoDrag float64
}

// StateVector is a TEME position (km) and velocity (km/s).
type StateVector struct {
	PositionKm     Vec3
	VelocityKmPerS Vec3
}

// NewPropagator initialises SGP4/SDP4 for tle ("improved" operation mode
// of the reference). It fails with a *PropagationError when the elements
// cannot be propagated even at epoch.
func NewPropagator(tle TLE) (*Propagator, error) {
	p := &Propagator{tle: tle, epoch: tle.Epoch}
	if err := p.init(); err != nil {
		return nil, fmt.Errorf("orbit: %s: %w", tle.label(), err)
	}
	if _, err := p.PropagateMinutes(0); err != nil {
		return nil, fmt.Errorf("orbit: %s: at epoch: %w", tle.label(), err)
	}
	return p, nil
}

// TLE returns the element set the propagator was built from.
func (p *Propagator) TLE() TLE { return p.tle }

// Epoch returns the element set's epoch.
func (p *Propagator) Epoch() time.Time { return p.epoch }

// DeepSpace reports whether the SDP4 (period ≥ 225 min) branch is used.
func (p *Propagator) DeepSpace() bool { return p.deep }

// Propagate returns the TEME state at t. Errors are *PropagationError
// values that match ErrDecayed and the other named errors with errors.Is.
func (p *Propagator) Propagate(t time.Time) (StateVector, error) {
	return p.PropagateMinutes(MinutesSinceEpoch(p.epoch, t))
}

// MinutesSinceEpoch returns t - epoch in minutes, with nanosecond
// resolution.
func MinutesSinceEpoch(epoch, t time.Time) float64 {
	d := t.Sub(epoch)
	// Split to keep precision beyond the ±292 year range Sub saturates at.
	return float64(d/time.Minute) + float64(d%time.Minute)/float64(time.Minute)
}

func (p *Propagator) init() error {
	tle := p.tle
	r := &p.rec
	const xpdotp = minPerDay / twoPi
	r.bstar = tle.BStar
	r.ecco = tle.Eccentricity
	r.argpo = tle.ArgPerigeeDeg * deg2rad
	r.inclo = tle.InclinationDeg * deg2rad
	r.mo = tle.MeanAnomalyDeg * deg2rad
	r.nodeo = tle.RAANDeg * deg2rad
	r.noKozai = tle.MeanMotionRevPerDay / xpdotp
	r.epochDays = julianDate(tle.Epoch) - 2433281.5

	const temp4 = 1.5e-12
	ss := 78.0/earthRadiusKm + 1.0
	qzms2t := math.Pow((120.0-78.0)/earthRadiusKm, 4)

	// initl
	ecco := r.ecco
	eccsq := ecco * ecco
	omeosq := 1.0 - eccsq
	rteosq := math.Sqrt(omeosq)
	cosio := math.Cos(r.inclo)
	cosio2 := cosio * cosio
	ak := math.Pow(xke/r.noKozai, x2o3)
	d1 := 0.75 * j2 * (3.0*cosio2 - 1.0) / (rteosq * omeosq)
	del := d1 / (ak * ak)
	adel := ak * (1.0 - del*del - del*(1.0/3.0+134.0*del*del/81.0))
	del = d1 / (adel * adel)
	r.noUnkozai = r.noKozai / (1.0 + del)
	ao := math.Pow(xke/r.noUnkozai, x2o3)
	r.aoNoDrag = ao
	sinio := math.Sin(r.inclo)
	po := ao * omeosq
	con42 := 1.0 - 5.0*cosio2
	r.con41 = -con42 - cosio2 - cosio2
	posq := po * po
	rp := ao * (1.0 - ecco)
	r.gsto = gstime(r.epochDays + 2433281.5)

	if math.IsNaN(r.noUnkozai) || r.noKozai <= 0 {
		return &PropagationError{Code: 2, err: ErrMeanMotion}
	}
	if ecco < 0 || ecco >= 1 || math.IsNaN(ecco) {
		return &PropagationError{Code: 1, err: ErrEccentricity}
	}

	if rp < 220.0/earthRadiusKm+1.0 {
		p.isimp = true
	}
	sfour := ss
	qzms24 := qzms2t
	perige := (rp - 1.0) * earthRadiusKm
	if perige < 156.0 {
		sfour = perige - 78.0
		if perige < 98.0 {
			sfour = 20.0
		}
		qzms24 = math.Pow((120.0-sfour)/earthRadiusKm, 4)
		sfour = sfour/earthRadiusKm + 1.0
	}
	pinvsq := 1.0 / posq
	tsi := 1.0 / (ao - sfour)
	r.eta = ao * ecco * tsi
	etasq := r.eta * r.eta
	eeta := ecco * r.eta
	psisq := math.Abs(1.0 - etasq)
	coef := qzms24 * math.Pow(tsi, 4)
	coef1 := coef / math.Pow(psisq, 3.5)
	cc2 := coef1 * r.noUnkozai * (ao*(1.0+1.5*etasq+eeta*(4.0+etasq)) +
		0.375*j2*tsi/psisq*r.con41*(8.0+3.0*etasq*(8.0+etasq)))
	r.cc1 = r.bstar * cc2
	cc3 := 0.0
	if ecco > 1.0e-4 {
		cc3 = -2.0 * coef * tsi * j3oj2 * r.noUnkozai * sinio / ecco
	}
	r.x1mth2 = 1.0 - cosio2
	r.cc4 = 2.0 * r.noUnkozai * coef1 * ao * omeosq *
		(r.eta*(2.0+0.5*etasq) + ecco*(0.5+2.0*etasq) -
			j2*tsi/(ao*psisq)*(-3.0*r.con41*(1.0-2.0*eeta+etasq*(1.5-0.5*eeta))+
				0.75*r.x1mth2*(2.0*etasq-eeta*(1.0+etasq))*math.Cos(2.0*r.argpo)))
	r.cc5 = 2.0 * coef1 * ao * omeosq * (1.0 + 2.75*(etasq+eeta) + eeta*etasq)
	cosio4 := cosio2 * cosio2
	temp1 := 1.5 * j2 * pinvsq * r.noUnkozai
	temp2 := 0.5 * temp1 * j2 * pinvsq
	temp3 := -0.46875 * j4 * pinvsq * pinvsq * r.noUnkozai
	r.mdot = r.noUnkozai + 0.5*temp1*rteosq*r.con41 + 0.0625*temp2*rteosq*(13.0-78.0*cosio2+137.0*cosio4)
	r.argpdot = -0.5*temp1*con42 + 0.0625*temp2*(7.0-114.0*cosio2+395.0*cosio4) +
		temp3*(3.0-36.0*cosio2+49.0*cosio4)
	xhdot1 := -temp1 * cosio
	r.nodedot = xhdot1 + (0.5*temp2*(4.0-19.0*cosio2)+2.0*temp3*(3.0-7.0*cosio2))*cosio
	xpidot := r.argpdot + r.nodedot
	r.omgcof = r.bstar * cc3 * math.Cos(r.argpo)
	r.xmcof = 0.0
	if ecco > 1.0e-4 {
		r.xmcof = -x2o3 * coef * r.bstar / eeta
	}
	r.nodecf = 3.5 * omeosq * xhdot1 * r.cc1
	r.t2cof = 1.5 * r.cc1
	if math.Abs(cosio+1.0) > 1.5e-12 {
		r.xlcof = -0.25 * j3oj2 * sinio * (3.0 + 5.0*cosio) / (1.0 + cosio)
	} else {
		r.xlcof = -0.25 * j3oj2 * sinio * (3.0 + 5.0*cosio) / temp4
	}
	r.aycof = -0.5 * j3oj2 * sinio
	delmotemp := 1.0 + r.eta*math.Cos(r.mo)
	r.delmo = delmotemp * delmotemp * delmotemp
	r.sinmao = math.Sin(r.mo)
	r.x7thm1 = 7.0*cosio2 - 1.0

	if twoPi/r.noUnkozai >= 225.0 {
		p.deep = true
		p.isimp = true
		p.initDeepSpace(eccsq, xpidot)
	}

	if !p.isimp {
		cc1sq := r.cc1 * r.cc1
		r.d2 = 4.0 * ao * tsi * cc1sq
		temp := r.d2 * tsi * r.cc1 / 3.0
		r.d3 = (17.0*ao + sfour) * temp
		r.d4 = 0.5 * temp * ao * tsi * (221.0*ao + 31.0*sfour) * r.cc1
		r.t3cof = r.d2 + 2.0*cc1sq
		r.t4cof = 0.25 * (3.0*r.d3 + r.cc1*(12.0*r.d2+10.0*cc1sq))
		r.t5cof = 0.2 * (3.0*r.d4 + 12.0*r.cc1*r.d3 + 6.0*r.d2*r.d2 + 15.0*cc1sq*(2.0*r.d2+cc1sq))
	}
	return nil
}

// MaxTsinceMin bounds |time from epoch| (about 190 years).
const MaxTsinceMin = 1e8

// PropagateMinutes returns the TEME state tsinceMin minutes after epoch.
func (p *Propagator) PropagateMinutes(tsinceMin float64) (StateVector, error) {
	if !(math.Abs(tsinceMin) <= MaxTsinceMin) {
		return StateVector{}, &PropagationError{TsinceMin: tsinceMin, err: ErrTimeRange}
	}
	sv, err := p.sgp4(tsinceMin)
	if err == nil {
		for _, v := range [...]float64{sv.PositionKm[0], sv.PositionKm[1], sv.PositionKm[2],
			sv.VelocityKmPerS[0], sv.VelocityKmPerS[1], sv.VelocityKmPerS[2]} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return StateVector{}, &PropagationError{TsinceMin: tsinceMin, err: ErrNotFinite}
			}
		}
	}
	return sv, err
}

// sgp4 is the reference's sgp4 routine.
func (p *Propagator) sgp4(tsinceMin float64) (StateVector, error) {
	const temp4 = 1.5e-12
	r := &p.rec
	t := tsinceMin
	xmdf := r.mo + r.mdot*t
	argpdf := r.argpo + r.argpdot*t
	nodedf := r.nodeo + r.nodedot*t
	argpm := argpdf
	mm := xmdf
	t2 := t * t
	nodem := nodedf + r.nodecf*t2
	tempa := 1.0 - r.cc1*t
	tempe := r.bstar * r.cc4 * t
	templ := r.t2cof * t2

	if !p.isimp {
		delomg := r.omgcof * t
		delmtemp := 1.0 + r.eta*math.Cos(xmdf)
		delm := r.xmcof * (delmtemp*delmtemp*delmtemp - r.delmo)
		temp := delomg + delm
		mm = xmdf + temp
		argpm = argpdf - temp
		t3 := t2 * t
		t4 := t3 * t
		tempa = tempa - r.d2*t2 - r.d3*t3 - r.d4*t4
		tempe = tempe + r.bstar*r.cc5*(math.Sin(mm)-r.sinmao)
		templ = templ + r.t3cof*t3 + t4*(r.t4cof+t*r.t5cof)
	}

	nm := r.noUnkozai
	em := r.ecco
	inclm := r.inclo
	if p.deep {
		em, argpm, inclm, mm, nodem, nm = p.deepSp.secular(r, t, em, argpm, inclm, mm, nodem)
	}

	if nm <= 0.0 {
		return StateVector{}, &PropagationError{Code: 2, TsinceMin: t, err: ErrMeanMotion}
	}
	var am float64
	if p.deep {
		x := xke / nm
		am = math.Cbrt(x*x) * tempa * tempa
	} else {
		am = r.aoNoDrag * tempa * tempa
	}
	nm = xke / (am * math.Sqrt(am))
	em = em - tempe
	if em >= 1.0 || em < -0.001 {
		return StateVector{}, &PropagationError{Code: 1, TsinceMin: t, err: ErrEccentricity}
	}
	if em < 1.0e-6 {
		em = 1.0e-6
	}
	mm = mm + r.noUnkozai*templ
	xlm := mm + argpm + nodem
	nodem = fmod2pi(nodem)
	argpm = fmod2pi(argpm)
	xlm = fmod2pi(xlm)
	mm = fmod2pi(xlm - argpm - nodem)

	sinim, cosim := math.Sincos(inclm)

	ep := em
	xincp := inclm
	argpp := argpm
	nodep := nodem
	mp := mm
	sinip := sinim
	cosip := cosim
	aycof := r.aycof
	xlcof := r.xlcof
	con41 := r.con41
	x1mth2 := r.x1mth2
	x7thm1 := r.x7thm1
	if p.deep {
		ep, xincp, nodep, argpp, mp = p.deepSp.periodics(t, ep, xincp, nodep, argpp, mp)
		if xincp < 0.0 {
			xincp = -xincp
			nodep = nodep + math.Pi
			argpp = argpp - math.Pi
		}
		if ep < 0.0 || ep > 1.0 {
			return StateVector{}, &PropagationError{Code: 3, TsinceMin: t, err: ErrPerturbedEccentricity}
		}
		sinip, cosip = math.Sincos(xincp)
		aycof = -0.5 * j3oj2 * sinip
		if math.Abs(cosip+1.0) > 1.5e-12 {
			xlcof = -0.25 * j3oj2 * sinip * (3.0 + 5.0*cosip) / (1.0 + cosip)
		} else {
			xlcof = -0.25 * j3oj2 * sinip * (3.0 + 5.0*cosip) / temp4
		}
	}

	// Long-period periodics.
	axnl := ep * math.Cos(argpp)
	temp := 1.0 / (am * (1.0 - ep*ep))
	aynl := ep*math.Sin(argpp) + temp*aycof
	xl := mp + argpp + nodep + temp*xlcof*axnl

	// Kepler's equation.
	u := fmod2pi(xl - nodep)
	eo1 := u
	tem5 := 9999.9
	var sineo1, coseo1 float64
	for ktr := 1; math.Abs(tem5) >= 1.0e-12 && ktr <= 10; ktr++ {
		sineo1, coseo1 = math.Sincos(eo1)
		tem5 = 1.0 - coseo1*axnl - sineo1*aynl
		tem5 = (u - aynl*coseo1 + axnl*sineo1 - eo1) / tem5
		if math.Abs(tem5) >= 0.95 {
			if tem5 > 0.0 {
				tem5 = 0.95
			} else {
				tem5 = -0.95
			}
		}
		eo1 = eo1 + tem5
	}

	// Short-period preliminary quantities.
	ecose := axnl*coseo1 + aynl*sineo1
	esine := axnl*sineo1 - aynl*coseo1
	el2 := axnl*axnl + aynl*aynl
	pl := am * (1.0 - el2)
	if pl < 0.0 {
		return StateVector{}, &PropagationError{Code: 4, TsinceMin: t, err: ErrSemiLatusRectum}
	}
	rl := am * (1.0 - ecose)
	rdotl := math.Sqrt(am) * esine / rl
	rvdotl := math.Sqrt(pl) / rl
	betal := math.Sqrt(1.0 - el2)
	temp = esine / (1.0 + betal)
	sinu := am / rl * (sineo1 - aynl - axnl*temp)
	cosu := am / rl * (coseo1 - axnl + aynl*temp)
	su := math.Atan2(sinu, cosu)
	sin2u := (cosu + cosu) * sinu
	cos2u := 1.0 - 2.0*sinu*sinu
	temp = 1.0 / pl
	temp1 := 0.5 * j2 * temp
	temp2 := temp1 * temp

	if p.deep {
		cosisq := cosip * cosip
		con41 = 3.0*cosisq - 1.0
		x1mth2 = 1.0 - cosisq
		x7thm1 = 7.0*cosisq - 1.0
	}
	mrt := rl*(1.0-1.5*temp2*betal*con41) + 0.5*temp1*x1mth2*cos2u
	su = su - 0.25*temp2*x7thm1*sin2u
	xnode := nodep + 1.5*temp2*cosip*sin2u
	xinc := xincp + 1.5*temp2*cosip*sinip*cos2u
	mvt := rdotl - nm*temp1*x1mth2*sin2u/xke
	rvdot := rvdotl + nm*temp1*(x1mth2*cos2u+1.5*con41)/xke

	sinsu, cossu := math.Sincos(su)
	snod, cnod := math.Sincos(xnode)
	sini, cosi := math.Sincos(xinc)
	xmx := -snod * cosi
	xmy := cnod * cosi
	ux := xmx*sinsu + cnod*cossu
	uy := xmy*sinsu + snod*cossu
	uz := sini * sinsu
	vx := xmx*cossu - cnod*sinsu
	vy := xmy*cossu - snod*sinsu
	vz := sini * cossu

	if mrt < 1.0 {
		return StateVector{}, &PropagationError{Code: 6, TsinceMin: t, err: ErrDecayed}
	}
	mrtKm := mrt * earthRadiusKm
	return StateVector{
		PositionKm: Vec3{mrtKm * ux, mrtKm * uy, mrtKm * uz},
		VelocityKmPerS: Vec3{
			(mvt*ux + rvdot*vx) * vkmpersec,
			(mvt*uy + rvdot*vy) * vkmpersec,
			(mvt*uz + rvdot*vz) * vkmpersec,
		},
	}, nil
}

// fmod2pi is C's fmod(x, 2π): the remainder with the sign of x. It is
// faster than math.Mod and differs from it by rounding only.
func fmod2pi(x float64) float64 { return x - twoPi*math.Trunc(x/twoPi) }

// gstime is Greenwich mean sidereal time (IAU-82) in radians for a UT1
// Julian date.
func gstime(jdut1 float64) float64 { return gmstDaysJ2000(jdut1 - 2451545.0) }

// gmstDaysJ2000 is gstime for UT1 days since J2000.
func gmstDaysJ2000(days float64) float64 {
	tut1 := days / 36525.0
	temp := -6.2e-6*tut1*tut1*tut1 + 0.093104*tut1*tut1 +
		(876600.0*3600+8640184.812866)*tut1 + 67310.54841
	temp = math.Mod(temp*deg2rad/240.0, twoPi)
	if temp < 0.0 {
		temp += twoPi
	}
	return temp
}
