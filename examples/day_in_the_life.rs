//! A day in the life of a service organisation, on a simulated clock.
fn main() {
    println!("crm-core example (being built)");
}
