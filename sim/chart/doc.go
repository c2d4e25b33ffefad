// Package chart draws a simulate forecast (a sim.Result) as a picture, in
// SVG or PNG, with gonum.org/v1/plot: one panel per campaign and one per
// account that sent anything, each with the cumulative invited, accepted
// and pending curves over dated weeks; an account's panel also marks its
// weekly cap as the cumulative capacity it allows. It only draws: the
// numbers are the simulator's (sim.Result's Days and Weeks).
package chart
