pub mod dashboard;
pub mod errors;
pub mod home;
pub mod track;
