// govern's only script: start NHS.UK frontend's components (header menu, error summary focus,
// notification banners, character counts...). Loaded as a module from 'self', so it needs no
// CSP nonce, and browsers NHS.UK frontend does not support never run it.
import { initAll } from '../nhsuk/nhsuk-frontend.min.js'

initAll()
