use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A parcel's actual weight in grams: at least 1 g, at most the 70 kg a courier may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Weight(u32);

impl Weight {
    pub const MAX_GRAMS: u32 = 70_000;

    pub fn from_grams(grams: i64) -> Result<Self, FieldError> {
        if grams < 1 {
            Err(FieldError::MustBePositive)
        } else if grams > i64::from(Self::MAX_GRAMS) {
            Err(FieldError::TooHeavy {
                max_g: Self::MAX_GRAMS,
            })
        } else {
            Ok(Self(grams as u32))
        }
    }

    pub fn grams(self) -> u32 {
        self.0
    }
}

/// Outer dimensions in whole centimetres, each side 1-200 cm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dimensions {
    length_cm: u32,
    width_cm: u32,
    height_cm: u32,
}

/// Which side of a parcel an error is about, so it lands next to the right field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Length,
    Width,
    Height,
}

impl Dimensions {
    pub const MAX_SIDE_CM: u32 = 200;
    /// Volumetric divisor: cm³ per kg, the industry's 5000.
    pub const VOLUMETRIC_DIVISOR: u64 = 5000;

    pub fn new(length: i64, width: i64, height: i64) -> Result<Self, (Side, FieldError)> {
        let side = |v: i64, s: Side| {
            if v < 1 {
                Err((s, FieldError::MustBePositive))
            } else if v > i64::from(Self::MAX_SIDE_CM) {
                Err((
                    s,
                    FieldError::TooLarge {
                        max: Self::MAX_SIDE_CM as usize,
                    },
                ))
            } else {
                Ok(v as u32)
            }
        };
        Ok(Self {
            length_cm: side(length, Side::Length)?,
            width_cm: side(width, Side::Width)?,
            height_cm: side(height, Side::Height)?,
        })
    }

    pub fn volume_cm3(self) -> u64 {
        u64::from(self.length_cm) * u64::from(self.width_cm) * u64::from(self.height_cm)
    }

    /// L x W x H / 5000, in grams, rounded up: a carrier never rounds in the shipper's favour.
    pub fn volumetric_weight_g(self) -> u64 {
        (self.volume_cm3() * 1000).div_ceil(Self::VOLUMETRIC_DIVISOR)
    }

    pub fn longest_side_cm(self) -> u32 {
        self.length_cm.max(self.width_cm).max(self.height_cm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_is_bounded() {
        assert_eq!(Weight::from_grams(0), Err(FieldError::MustBePositive));
        assert_eq!(Weight::from_grams(1).unwrap().grams(), 1);
        assert_eq!(Weight::from_grams(70_000).unwrap().grams(), 70_000);
        assert_eq!(
            Weight::from_grams(70_001),
            Err(FieldError::TooHeavy { max_g: 70_000 })
        );
    }

    #[test]
    fn volumetric_weight_rounds_up_to_the_gram() {
        let d = Dimensions::new(40, 30, 20).unwrap();
        assert_eq!(d.volume_cm3(), 24_000);
        assert_eq!(d.volumetric_weight_g(), 4_800);
        assert_eq!(Dimensions::new(1, 1, 3).unwrap().volumetric_weight_g(), 1); // 0.6 g
        assert_eq!(d.longest_side_cm(), 40);
    }

    #[test]
    fn each_side_is_checked_and_named() {
        assert_eq!(
            Dimensions::new(10, 0, 10),
            Err((Side::Width, FieldError::MustBePositive))
        );
        assert_eq!(
            Dimensions::new(10, 10, 201),
            Err((Side::Height, FieldError::TooLarge { max: 200 }))
        );
    }
}
