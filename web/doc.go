// Package web is Hearth's server-rendered HTML interface: handlers, typed
// page structs, embedded templates, CSS and the message catalogue.
//
// It imports instance, never federation or go-fed. Pages work without
// JavaScript (plain forms, redirect after POST) and keyboard only; every
// response carries security headers, and every state-changing request passes
// Go's cross-origin protection. User-visible text comes from the catalogue
// in messages/, so a translation is a file, not a code change.
package web
