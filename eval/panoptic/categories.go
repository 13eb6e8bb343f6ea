package panoptic

import "fmt"

// Category is one entry of a COCO panoptic "categories" list.
type Category struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	IsThing bool   `json:"isthing"`
}

// Categories is an ordered category list with an id index. The order is the
// order of the means (panopticapi iterates its category dict in file order).
type Categories struct {
	list  []Category
	index map[int]int
}

// NewCategories indexes list; duplicate ids are an error.
func NewCategories(list []Category) (*Categories, error) {
	c := &Categories{list: append([]Category(nil), list...), index: make(map[int]int, len(list))}
	for i, cat := range list {
		if j, dup := c.index[cat.ID]; dup {
			return nil, fmt.Errorf("categories[%d]: duplicate category id %d (also categories[%d])", i, cat.ID, j)
		}
		c.index[cat.ID] = i
	}
	return c, nil
}

// Len is the number of categories.
func (c *Categories) Len() int { return len(c.list) }

// At returns the i-th category in list order.
func (c *Categories) At(i int) Category { return c.list[i] }

// List returns a copy of the categories in list order.
func (c *Categories) List() []Category { return append([]Category(nil), c.list...) }

// Index returns the position of category id, or false when unknown.
func (c *Categories) Index(id int) (int, bool) {
	i, ok := c.index[id]
	return i, ok
}
