//! The uniffi bindgen, built from the same uniffi version as the library (`--features bindgen`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
