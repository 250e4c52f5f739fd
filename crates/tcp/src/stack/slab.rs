//! Sockets addressed by small reusable indices.

/// Values in slots; a freed slot is reused before the table grows, the most recently freed
/// first (the free list is a stack). Each slot counts how often it was vacated, so a holder
/// of an old index can tell that its value is gone even after the slot was reused.
#[derive(Clone, Debug)]
pub(super) struct Slab<V> {
    slots: Vec<Option<V>>,
    generations: Vec<u32>,
    free: Vec<u32>,
}

impl<V> Default for Slab<V> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            generations: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<V> Slab<V> {
    /// Stores `value` in the most recently freed slot, or a new one at the end.
    #[inline]
    pub(super) fn insert(&mut self, value: V) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(value);
                i
            }
            None => {
                self.slots.push(Some(value));
                self.generations.push(0);
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// How many slots hold a value.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Drops the value of slot `i` (which must hold one) where it lies, and frees the slot:
    /// a connection is large, and need not be moved out to be forgotten.
    pub(super) fn free(&mut self, i: u32) {
        let slot = &mut self.slots[i as usize];
        assert!(slot.is_some(), "freeing a live socket");
        *slot = None;
        self.generations[i as usize] = self.generations[i as usize].wrapping_add(1);
        self.free.push(i);
    }

    /// Takes the value out of slot `i` (which must hold one) and frees the slot.
    pub(super) fn remove(&mut self, i: u32) -> V {
        let value = self.slots[i as usize]
            .take()
            .expect("removing a live socket");
        self.generations[i as usize] = self.generations[i as usize].wrapping_add(1);
        self.free.push(i);
        value
    }

    #[inline]
    pub(super) fn get(&self, i: u32) -> Option<&V> {
        self.slots.get(i as usize)?.as_ref()
    }

    #[inline]
    pub(super) fn get_mut(&mut self, i: u32) -> Option<&mut V> {
        self.slots.get_mut(i as usize)?.as_mut()
    }

    /// How many times slot `i` has been vacated.
    #[inline]
    pub(super) fn generation(&self, i: u32) -> u32 {
        self.generations[i as usize]
    }

    /// The live values, in slot order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, &V)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((i as u32, v.as_ref()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_slots_are_reused_last_freed_first() {
        let mut s = Slab::default();
        assert_eq!((s.insert('a'), s.insert('b'), s.insert('c')), (0, 1, 2));
        assert_eq!(s.remove(0), 'a');
        assert_eq!(s.remove(2), 'c');
        assert_eq!(
            (s.generation(0), s.generation(1), s.generation(2)),
            (1, 0, 1)
        );
        assert_eq!(s.insert('d'), 2);
        assert_eq!(s.insert('e'), 0);
        assert_eq!(s.insert('f'), 3);
        let live: Vec<_> = s.iter().collect();
        assert_eq!(live, vec![(0, &'e'), (1, &'b'), (2, &'d'), (3, &'f')]);
        assert_eq!(s.get(4), None);
    }
}
