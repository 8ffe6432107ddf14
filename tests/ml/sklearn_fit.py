# scikit-learn (and scipy under it): fit and score two models, with worker threads.
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

X, y = make_classification(n_samples=400, n_features=10, random_state=0)
Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
lr = LogisticRegression(max_iter=200).fit(Xtr, ytr)
rf = RandomForestClassifier(n_estimators=20, random_state=0, n_jobs=2).fit(Xtr, ytr)
assert lr.score(Xte, yte) > 0.8 and rf.score(Xte, yte) > 0.8
print("sklearn ok")
