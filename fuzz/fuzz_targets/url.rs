#![no_main]
// See dbhive_drivers::fuzzing::url for what the bytes are and what must hold.
libfuzzer_sys::fuzz_target!(|data: &[u8]| dbhive_drivers::fuzzing::url(data));
